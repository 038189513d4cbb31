// `vsync … | head`: a reader that closes the pipe early must end the command quietly (exit 0, nothing on
// stderr), not with an unhandled EPIPE and its stack trace. Runs bin/vsync.js over dist/ (built by `npm test`).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));

it('ends quietly when stdout is closed before it writes', async () => {
  const child = spawn(process.execPath, [BIN, 'member', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Closed before the child has started, so its first write meets a pipe with no reader.
  child.stdout.destroy();
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => void (err += c));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(err).toBe('');
  expect(code).toBe(0);
}, 60_000);
