/**
 * Recovery after a lost majority (issue 9), with real `vsync member` processes: five members, three SIGKILLed, the two
 * survivors block in a minority; `vsync recover` on one of them founds a new lineage of the group from the survivor
 * that delivered the most; both deliver again in one new view; a killed node restarted with its usual command joins
 * the new lineage; the traces (one chain of views per lineage) pass the checker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTraceDir } from '../../src/check/index.js';
import { MemberProcess } from '../../src/cli/member-process.js';
import { freePorts, quiesce, until } from './test-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));
const TOKEN = 'test-ops-token';
const procs: MemberProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.signal('SIGKILL');
});

/** Every node's command differs only in --name and --listen (its usual command, also for a restart). */
function member(name: string, port: number, seeds: string[], dir: string): MemberProcess {
  const p = new MemberProcess(name, [
    '--listen', `127.0.0.1:${port}`, '--group', 'g', '--secret', 'test-secret', '--seeds', seeds.join(','),
    '--bootstrap-expect', '3', '--trace-dir', dir, '--status-ms', '200', '--state-machine', 'hashchain',
    '--send-rate', '20', '--http', '127.0.0.1:0', '--http-token', TOKEN,
  ]);
  procs.push(p);
  return p;
}

function vsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const lastView = (p: MemberProcess): string[] => p.lastMatch(/^view id=\d+ members=(\S+)/)?.[1]!.split(',') ?? [];
const lastGid = (p: MemberProcess): string => p.lastMatch(/^status .* gid=(\S*)$/)?.[1] ?? '';
const delivered = (p: MemberProcess): number => Number(p.lastMatch(/^status .* delivered=(\d+)/)?.[1] ?? -1);

describe('recovery after a lost majority', () => {
  it('the two survivors of five form a new lineage on the operator\'s command; a restarted node joins it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsync-recover-'));
    const ports = await freePorts(5);
    const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
    const ps = ports.map((port, i) => member(`n${i}`, port, seeds, dir));
    const show = (): string => ps.map((p) => `${p.name}: ${lastView(p).join(',')} gid=${lastGid(p)} | ${p.lines.slice(-2).join(' | ')}`).join('\n');
    await until(() => ps.every((p) => lastView(p).length === 5 && lastGid(p) !== ''), 90_000, () => `five in one view:\n${show()}`);
    const oldGid = lastGid(ps[0]!);
    const urls = await Promise.all(ps.map(async (p) => (await p.waitFor(/^http url=(\S+)/))[1]!));
    const [s1, s2] = [ps[3]!, ps[4]!];

    // Refused while the group is primary, and without --confirm.
    const early = await vsync(['recover', urls[3]!, '--group', 'g', '--confirm', '--token', TOKEN]);
    expect(early.code, early.stderr).toBe(1);
    expect(early.stderr).toMatch(/VSYNC_ERR_NOT_IN_MINORITY/);
    const unconfirmed = await vsync(['recover', urls[3]!, '--group', 'g', '--token', TOKEN]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--confirm is required/);
    const noToken = await vsync(['recover', urls[3]!, '--group', 'g', '--confirm']);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/VSYNC_ERR_AUTH/);

    // The majority is lost for good: the survivors block.
    for (const i of [0, 1, 2]) ps[i]!.signal('SIGKILL');
    await Promise.all([0, 1, 2].map((i) => ps[i]!.exited));
    await Promise.all([s1, s2].map((p) => p.waitFor(/^minority view=\d+ reachable=2\/5/, 60_000)));

    const rec = await vsync(['recover', urls[3]!, '--group', 'g', '--confirm', '--token', TOKEN]);
    expect(rec.code, `${rec.stdout}\n${rec.stderr}`).toBe(0);
    const m = rec.stdout.match(/^recovered group=g from=(\S+) to=(\S+) founder=(n3|n4) survivors=n3,n4 kept-seq=(\d+)$/m);
    expect(m, rec.stdout).not.toBeNull();
    expect(m![1]).toBe(oldGid);
    const newGid = m![2]!;
    expect(newGid).not.toBe(oldGid);
    expect(rec.stdout).toMatch(/^warning: messages delivered only by the unreachable members/m);

    // Both survivors are in one view of the new lineage, with one state, and deliver again.
    for (const p of [s1, s2]) await p.waitFor(new RegExp(`^recovered group=g from=${oldGid} to=${newGid} `), 30_000);
    await until(() => [s1, s2].every((p) => lastView(p).length === 2 && lastGid(p) === newGid), 60_000, () => `a new view of two:\n${show()}`);
    expect(s1.lastMatch(/^status .* parent=(\S+) gid=/)?.[1]).toBe(oldGid);
    const before = [s1, s2].map(delivered);
    await until(() => [s1, s2].every((p, i) => delivered(p) > before[i]! + 20), 60_000, () => `deliveries again:\n${show()}`);
    const status = await vsync(['status', urls[4]!, '--token', TOKEN]);
    expect(status.stdout).toContain(`gid ${newGid} (recovered from ${oldGid})`);

    // A killed node restarted with its usual command joins the new lineage.
    const back = member('n0', ports[0]!, seeds, dir);
    await until(() => lastView(back).length === 3 && lastGid(back) === newGid, 60_000, () => `n0 back:\n${back.lines.slice(-3).join('\n')}\n${back.stderr.slice(-500)}`);
    await until(() => [s1, s2].every((p) => lastView(p).length === 3), 30_000, () => `a view of three:\n${show()}`);

    // Quiet, then a clean end; the traces mark the new lineage, and each lineage passes every property.
    const alive = [s1, s2, back];
    await quiesce(alive);
    for (const p of alive) p.signal('SIGTERM');
    await Promise.all(alive.map((p) => p.exited));
    const marked = readdirSync(dir).filter((f) => readFileSync(join(dir, f), 'utf8').startsWith('{"ev":"lineage"'));
    expect(marked.length).toBeGreaterThanOrEqual(3);
    const report = await checkTraceDir(dir);
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  }, 300_000);

  it('SIGTERM of a member blocked in a minority ends it without waiting for a leave that cannot complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsync-recover-'));
    const ports = await freePorts(3);
    const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
    const ps = ports.map((port, i) => member(`n${i}`, port, seeds, dir));
    await until(() => ps.every((p) => lastView(p).length === 3), 90_000, () => 'three in one view');
    for (const i of [0, 1]) ps[i]!.signal('SIGKILL');
    const s = ps[2]!;
    await s.waitFor(/^minority view=\d+ reachable=1\/3/, 60_000);
    const t0 = Date.now();
    s.signal('SIGTERM');
    await s.exited;
    // For the record only (no timed assertion): how long the exit took.
    console.log(`a minority member exited ${Date.now() - t0} ms after SIGTERM`);
    expect(s.exitCode).toBe(0);
    expect(s.stderr).toMatch(/not leaving gracefully: no majority of the view is reachable/);
    expect(s.lines.at(-1)).toMatch(/^bye /);
  }, 180_000);
});
