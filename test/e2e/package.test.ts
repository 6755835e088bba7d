// The runtime as a package: `npm pack` gives a tarball that installs into an empty project, whose code
// importing `tentacle/runtime` type-checks with tsc --strict against the emitted declarations and
// runs against the test control plane. The package is built into a temporary folder, never into dist/
// (other tests run dist/main.js).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, jest, test } from '@jest/globals';
import { kubeconfigPath } from '../support/kube.ts';
import { CONFIGMAP, deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';
import type { Client } from '../../src/runtime/client/client.ts';
import type { KubeObject } from '../../src/runtime/types.ts';
import { REPO, run } from './support.ts';

jest.setTimeout(600_000);

const work = mkdtempSync(join(tmpdir(), 'tentacle-package-'));
const consumer = join(work, 'consumer');
const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
let client: Client;
let namespace: string;

beforeAll(async () => {
  client = await testClient();
  namespace = await testNamespace(client, 'package');
});

afterAll(async () => {
  await deleteNamespace(client, namespace);
  await client.close();
  rmSync(work, { recursive: true, force: true });
});

test('npm pack installs into an empty project that type-checks and runs against tentacle/runtime', async () => {
  const tarball = (await run(join(REPO, 'hack', 'pack.sh'), [work], { timeoutMs: 300_000 })).trim();
  assert.ok(tarball.endsWith('.tgz'), `hack/pack.sh wrote a tarball (${tarball})`);

  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, '@types/node@^24'], { cwd: consumer, timeoutMs: 300_000 });
  cpSync(join(REPO, 'test', 'e2e', 'fixtures', 'consumer', 'main.ts'), join(consumer, 'main.ts'));
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, allowImportingTsExtensions: true, types: ['node'], skipLibCheck: true },
      files: ['main.ts'],
    }),
  );
  await run(tsc, ['-p', 'tsconfig.json'], { cwd: consumer, timeoutMs: 120_000 });

  // The declarations carry real types, not `any`: a wrong one does not compile (tsc reports on stdout),
  // nor does a kind of one type read as another, nor a change to a cached object.
  writeFileSync(
    join(consumer, 'wrong.ts'),
    [
      "import { defineKind, Manager, type KubeObject } from 'tentacle/runtime';",
      'export const m: Manager = 42;',
      "interface Secret extends KubeObject { type: string }",
      "const CONFIGMAP = defineKind<KubeObject & { data?: Record<string, string> }>('', 'v1', 'ConfigMap');",
      "export const read = (manager: Manager) => manager.cache.get<Secret>(CONFIGMAP, 'ns', 'name');",
      "export const change = (manager: Manager) => { manager.cache.get(CONFIGMAP, 'ns', 'name')!.data = {}; };",
    ].join('\n'),
  );
  const wrong = await promisify(execFile)(tsc, ['--ignoreConfig', '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--skipLibCheck', 'wrong.ts'], { cwd: consumer }).then(
    () => '',
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  assert.match(wrong, /not assignable to type 'Manager'/);
  assert.match(wrong, /wrong\.ts\(5,.*not assignable to parameter of type 'Kind<Secret>'/);
  // What the cache returns is shared: changing it does not compile.
  assert.match(wrong, /wrong\.ts\(6,.*Cannot assign to 'data' because it is a read-only property/);

  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello', namespace }, data: { a: '1' } });
  const operator = spawn(process.execPath, ['main.ts', kubeconfigPath(), namespace], { cwd: consumer, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  operator.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => operator.on('exit', resolve));
  try {
    await waitFor(async () => (await client.get<KubeObject>(CONFIGMAP, namespace, 'hello')).metadata.annotations?.['consumer.example/seen'] === 'true', {
      what: `the consumer's controller to mark the ConfigMap (stderr: ${stderr.slice(-500)})`,
      timeoutMs: 60_000,
    });
  } finally {
    operator.kill('SIGTERM');
  }
  assert.equal(await exited, 0, `the consumer exits 0 on SIGTERM (stderr: ${stderr.slice(-500)})`);
});
