// The runtime and the controllers must load without undici (see src/runtime/client/node-builtins.ts):
// one ESM `import … from 'node:http'` anywhere in the operator's module graph would load it again, +5.7
// MiB of idle RSS. Checked in a fresh process, as Jest's own process has loaded everything already.
import { expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test.each(['src/runtime/index.ts', 'src/controllers/index.ts', 'src/cli.ts'])('importing %s leaves undici unloaded', (entry) => {
  const script = `await import(${JSON.stringify(ROOT + entry)});
process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
  expect(loaded).toEqual([]);
});

test('the check notices undici (an ESM import of node:http loads it)', () => {
  const script = `await import('node:http');
process.stdout.write(JSON.stringify(process.moduleLoadList.some((m) => m.includes('undici'))));`;
  expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })).toBe('true');
});
