/**
 * The live web page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): it shows the
 * three-member view, and after a member is closed it shows the new view and why it changed, by itself.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpsCluster, opsCluster } from './cluster.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`web page test skipped: ${CHROMIUM} is missing (install Debian's chromium package: apt-get install -y chromium)`);

let cluster: OpsCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe.skipIf(!hasChromium)('ops web page in headless Chromium', () => {
  it('shows the view, then the new view after a member is closed', async () => {
    const { chromium } = await import('playwright-core');
    const token = 'page-token-42';
    cluster = await opsCluster(3, { token });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`${cluster.nodes[0]!.httpUrl}/?token=${token}`);
      expect(page.url()).toBe(`${cluster.nodes[0]!.httpUrl}/`);
      const card = page.locator('section[data-group="g"]');
      const rows = card.locator('[data-testid="members"] tr[data-member]');
      await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(3);
      await expect.poll(() => card.locator('[data-testid="group-state"]').textContent(), { timeout: 20_000 }).toBe('primary');
      const viewBefore = await card.locator('[data-testid="view-id"]').textContent();
      expect(viewBefore).toMatch(/^view \d+$/);
      expect(await page.locator('#conn').textContent()).toBe('live');

      // Some traffic for the chart.
      for (let i = 0; i < 20; i++) await cluster.groups[i % 3]!.send(new TextEncoder().encode(`m${i}`));

      const gone = cluster.groups[2]!.memberId!;
      await cluster.nodes[2]!.close();
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-member')))).not.toContain(gone);
      const viewAfter = await card.locator('[data-testid="view-id"]').textContent();
      expect(Number(viewAfter!.split(' ')[1])).toBeGreaterThan(Number(viewBefore!.split(' ')[1]));
      const newest = card.locator('[data-testid="history"] tr').nth(1);
      // node.close() leaves the group: the history says so (a failure would read "failed or was excluded").
      await expect.poll(() => newest.textContent(), { timeout: 10_000 }).toContain(`${gone} left`);
      await expect.poll(() => page.locator('tr[data-peer="n2"] td').nth(1).textContent(), { timeout: 20_000 }).not.toBe('up');
      // A few more samples so the chart has a line.
      await new Promise((r) => setTimeout(r, 2500));
      expect(errors).toEqual([]);
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'ops-web-page.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
