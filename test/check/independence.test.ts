import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../src/check');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

// The checker must not share code with what it judges: a bug in the core could otherwise hide in both.
describe('the checker stands alone', () => {
  it('imports only node: built-ins and its own files', async () => {
    const bad: string[] = [];
    let seen = 0;
    for (const file of await sources(root)) {
      const text = await readFile(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        seen++;
        const ok = spec!.startsWith('node:') || (spec!.startsWith('.') && !relative(root, resolve(file, '..', spec!)).startsWith('..'));
        if (!ok) bad.push(`${relative(root, file)}: ${spec}`);
      }
    }
    expect(seen).toBeGreaterThan(20); // the pattern does see the imports
    expect(bad).toEqual([]);
  });
});
