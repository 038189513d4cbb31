import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../helpers/source-files.js';

const root = resolve(import.meta.dirname, '../../src/core');


// The core is sans-IO so that the simulator, the tests and the runtime drive the very same code: an import of a
// socket, a timer or a file module would make it depend on the world it is supposed to be told about.
describe('src/core stands alone', () => {
  it('imports only its own files and plain types: no value from outside src/core, no node: built-ins, no packages', async () => {
    const bad: string[] = [];
    let seen = 0;
    for (const file of await sourceFiles(root)) {
      // A type-only import is erased by the compiler: it brings no code, so it may name a plain type outside the core
      // (src/errors.ts's list of every error code is the one use).
      const text = (await readFile(file, 'utf8')).replace(/^(?:import|export)\s+type\s[^;]*?from\s*['"][^'"]+['"];?/gm, '');
      // Static imports and re-exports, side-effect imports, and dynamic import() / require() calls.
      const specs = [
        ...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g),
        ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
        ...text.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g),
      ].map((m) => m[1]!);
      for (const spec of specs) {
        seen++;
        const ok = spec.startsWith('.') && !relative(root, resolve(file, '..', spec)).startsWith('..');
        if (!ok) bad.push(`${relative(root, file)}: ${spec}`);
      }
    }
    expect(seen).toBeGreaterThan(10); // the patterns do see the imports
    expect(bad).toEqual([]);
  });

  it('the rule itself catches what it should', () => {
    const inside = (spec: string) => spec.startsWith('.') && !relative(root, resolve(root, 'member.ts', '..', spec)).startsWith('..');
    expect(inside('./frames.js')).toBe(true);
    expect(inside('../wire/index.js')).toBe(false);
    expect(inside('node:crypto')).toBe(false);
    expect(inside('eventemitter3')).toBe(false);
  });

  it('only errors.ts borrows a type from outside, and only as a type', async () => {
    const outside: string[] = [];
    for (const file of await sourceFiles(root)) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s*['"](\.\.\/[^'"]+)['"]/gm)) outside.push(`${relative(root, file)}: ${m[2] ? 'type ' : ''}${m[3]}`);
    }
    expect(outside).toEqual(['errors.ts: type ../errors.js']);
  });
});
