import { readFileSync } from 'node:fs';
import { ErrorCodes, VsyncError } from '../errors.js';

/**
 * A client-tokens file: client ids and their secrets, either a JSON object `{"id": "secret", ...}` or one
 * `id secret` pair per line (blank lines and lines starting with # are skipped).
 */
export function parseClientTokens(text: string, source = 'client tokens'): Map<string, string> {
  const out = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(trimmed);
    } catch (err) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${source}: not JSON (${(err as Error).message})`);
    }
    for (const [id, secret] of Object.entries(o as Record<string, unknown>)) {
      if (typeof secret !== 'string') throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${source}: the secret of '${id}' is not a string`);
      out.set(id, secret);
    }
  } else {
    trimmed.split('\n').forEach((line, i) => {
      const l = line.trim();
      if (l === '' || l.startsWith('#')) return;
      const m = /^(\S+)\s+(\S+)$/.exec(l);
      if (!m) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${source}:${i + 1}: expected 'client-id secret'`);
      out.set(m[1]!, m[2]!);
    });
  }
  for (const [id, secret] of out) {
    if (secret.length < 8) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${source}: the secret of '${id}' is shorter than 8 characters`);
  }
  if (out.size === 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${source}: no clients`);
  return out;
}

export function readClientTokens(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `cannot read client tokens '${path}': ${(err as Error).message}`);
  }
  return parseClientTokens(text, path);
}
