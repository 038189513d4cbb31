/** The CLI's logger: human-readable when stderr is a terminal (pino-pretty), JSON lines otherwise (for tools). */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export function cliLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const tty = opts.pretty ?? process.stderr.isTTY === true;
  if (tty) {
    // In-process and synchronous: a log line written just before an exit is not lost in a worker thread.
    return pino({ level }, pretty({ destination: 2, sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level }, pino.destination(2));
}
