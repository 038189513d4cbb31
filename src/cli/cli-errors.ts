/** How the CLI reports a failure: one line with the error's code; the stack only when asked (--log-level debug). */
import { VsyncError } from '../errors.js';

/** The error's stable code: a VsyncError's, else Node's (`EACCES`, `ERR_...`), else `ERROR`. */
export function codeOf(err: unknown): string {
  if (err instanceof VsyncError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** `<prefix>: <CODE>: <message>` (the cause's message appended when it adds something); with `debug`, the stack after. */
export function errorLine(prefix: string, err: unknown, debug = false): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error && !message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
  const line = `${prefix}: ${codeOf(err)}: ${oneLine(message + cause)}`;
  return debug && err instanceof Error && err.stack ? `${line}\n${err.stack}` : line;
}
