/** Secure by default: Node.start refuses to run without a secret or TLS unless told `insecure: true`. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Node } from '../../src/index.js';
import { ErrorCodes } from '../../src/errors.js';

describe('secure by default', () => {
  it('Node.start without secret, tls or insecure is refused with a message that says what to pass', async () => {
    const err = await Node.start({ name: 'n', listen: { host: '127.0.0.1', port: 0 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect((err as Error).message).toMatch(/secret/);
    expect((err as Error).message).toMatch(/tls/);
    expect((err as Error).message).toMatch(/insecure: true/);
  });

  it('insecure: true starts, and warns at start and on every peer connection', async () => {
    const logs: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void logs.push(JSON.parse(l) as { level: number; msg: string }) });
    const a = await Node.start({ name: 'a', insecure: true, logger, listen: { host: '127.0.0.1', port: 0 } });
    const b = await Node.start({ name: 'b', insecure: true, logger, listen: { host: '127.0.0.1', port: 0 }, seeds: [a.url!] });
    try {
      await a.join('g');
      await b.join('g');
      expect(logs.filter((l) => /no cluster secret/.test(l.msg))).toHaveLength(2);
      expect(logs.filter((l) => /insecure link/.test(l.msg)).length).toBeGreaterThanOrEqual(2);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
