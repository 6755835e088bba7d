// The benchmarks (bench/), `make chaos` and `make fuzz` run under plain `node`, where importing
// @jest/globals throws. Jest never loads them, so nothing else would notice when a helper they share
// with the tests starts importing it: follow their relative imports and check.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY_DIRS = ['bench', 'test/chaos', 'test/fuzz'];

/** Module specifiers a file loads at run time (`import type` and `export type` are erased). */
export function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every path from `entry` through relative imports to a file that imports `forbidden`. */
function chainsTo(entry: string, forbidden: string): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      if (spec === forbidden) found.push([...chain, file]);
      else if (spec.startsWith('.')) visit(resolve(dirname(file), spec), [...chain, file]);
    }
  };
  visit(entry, []);
  return found;
}

describe('runtimeImports', () => {
  test.each([
    ["import { a } from './a.ts';", ['./a.ts']],
    ["import type { A } from './a.ts';", []],
    ["import x, { y } from 'pkg';\nexport { z } from './z.ts';", ['pkg', './z.ts']],
    ["import './side-effect.ts';", ['./side-effect.ts']],
    ["const m = await import('./lazy.ts');", ['./lazy.ts']],
    ["import {\n  a,\n  b,\n} from '@jest/globals';", ['@jest/globals']],
  ])('%j', (source, expected) => {
    expect(runtimeImports(source)).toEqual(expected);
  });
});

describe('scripts run by plain node do not load @jest/globals', () => {
  const entries = ENTRY_DIRS.flatMap((dir) =>
    [...readdirSync(join(ROOT, dir))].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(dir, f)),
  );
  test('there are scripts to check', () => {
    expect(entries.length).toBeGreaterThan(5);
  });
  test.each(entries)('%s', (entry) => {
    expect(chainsTo(join(ROOT, entry), '@jest/globals').map((chain) => chain.map((f) => f.slice(ROOT.length)).join(' → '))).toEqual([]);
  });
});
