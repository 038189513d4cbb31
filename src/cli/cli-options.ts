/**
 * What every command shares: help text with one line per option, numbers checked as they are parsed (a typo
 * must not silently mean 0 or NaN), and usage errors that carry a code like every other error.
 */
import { ErrorCodes, VsyncError } from '../errors.js';

export interface OptionHelp {
  /** As typed, with its value: `--send-rate <msgs/s>`. */
  flag: string;
  text: string;
}

/** `usage` line(s), a short description, then one line per option, aligned. */
export function helpText(usage: string, about: string, options: readonly OptionHelp[]): string {
  const width = Math.max(...options.map((o) => o.flag.length)) + 2;
  const lines = [usage, '', ...about.split('\n').map((l) => (l ? `  ${l}` : '')), '', 'options:'];
  for (const o of options) lines.push(`  ${o.flag.padEnd(width)}${o.text}`);
  return lines.join('\n');
}

/** A bad command line: printed as one line with its code, exit status 2. */
export class UsageError extends VsyncError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_ARGUMENT, message);
    this.name = 'UsageError';
  }
}

/**
 * Errors met while reading the command line become usage errors: node:util parseArgs errors (unknown option,
 * missing value) and the RangeErrors of option parsers.
 */
export function usageErrorOf(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return new UsageError((err as Error).message.split('\n')[0]!);
  if (err instanceof RangeError || (err instanceof TypeError && !(err instanceof VsyncError))) return new UsageError(err.message);
  return err;
}

/** Whether the command line asks for debug logs (then errors come with their stack). */
export function wantsDebug(args: readonly string[]): boolean {
  const i = args.indexOf('--log-level');
  const level = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--log-level='))?.slice('--log-level='.length);
  return level === 'debug' || level === 'trace';
}

/** A number option: finite, in [min, max]; `integer` also refuses fractions. undefined: `dflt`. */
export function numberOption(
  value: string | undefined,
  name: string,
  o: { min: number; max: number; dflt: number; integer?: boolean },
): number {
  if (value === undefined) return o.dflt;
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < o.min || n > o.max || (o.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} takes ${o.integer ? 'an integer' : 'a number'} in ${o.min}..${o.max}, got '${value}'`);
  }
  return n;
}

export const intOption = (value: string | undefined, name: string, o: { min: number; max: number; dflt: number }): number =>
  numberOption(value, name, { ...o, integer: true });

/** `host:port`, with an IPv6 host in brackets or not; port 0..65535. */
export function parseHostPort(s: string, name = 'listen'): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const portText = s.slice(i + 1);
  const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${name} takes host:port, got '${s}'`);
  const host = s.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevelOption(value: string | undefined, dflt: LogLevel): LogLevel {
  if (value === undefined) return dflt;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new UsageError(`--log-level is one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
  return value as LogLevel;
}

/**
 * `--send-rate -5` as `--send-rate=-5`: parseArgs would otherwise take `-5` for an option and report an
 * "ambiguous" argument instead of the range the option accepts.
 */
export function joinNegativeNumbers(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-(\d|\.\d|Infinity|NaN)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
