import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../helpers/source-files.js';

const root = resolve(import.meta.dirname, '../../src/check');


// The checker must not share code with what it judges: a bug in the core could otherwise hide in both.
describe('the checker stands alone', () => {
  it('imports only node: built-ins and its own files', async () => {
    const bad: string[] = [];
    let seen = 0;
    for (const file of await sourceFiles(root)) {
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
