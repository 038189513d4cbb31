import { describe, expect, it } from 'vitest';
import { PendingSends } from '../../src/api/pending-sends.js';
import { VsyncError } from '../../src/errors.js';

describe('PendingSends', () => {
  it('settles sends in message-number order, each with its seq and view', async () => {
    const p = new PendingSends();
    const a = p.add(1);
    const b = p.add(2);
    p.delivered(1, 10, 3);
    p.delivered(2, 12, 3);
    await expect(a).resolves.toEqual({ seq: 10, viewId: 3 });
    await expect(b).resolves.toEqual({ seq: 12, viewId: 3 });
    expect(p.size).toBe(0);
  });

  it('a delivery of a number it does not hold settles nothing', () => {
    const p = new PendingSends();
    void p.add(5);
    p.delivered(4, 1, 1);
    expect(p.size).toBe(1);
  });

  it('rejectAll rejects every open send with the error, and a passed-over send is rejected, not left hanging', async () => {
    const p = new PendingSends();
    const a = p.add(1);
    const b = p.add(2);
    const c = p.add(3);
    p.delivered(2, 7, 1);
    await expect(a).rejects.toMatchObject({ code: 'VSYNC_ERR_INVARIANT' });
    await expect(b).resolves.toEqual({ seq: 7, viewId: 1 });
    const err = new VsyncError('VSYNC_ERR_LEAVING', 'left');
    p.rejectAll(err);
    await expect(c).rejects.toBe(err);
    expect(p.size).toBe(0);
  });
});
