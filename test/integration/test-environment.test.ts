// tentacle/testing's TestEnvironment on a control plane of its own: it installs CRDs and serves their
// kinds, gives fresh namespaces, refuses what is not a CRD, and leaves no process or folder behind:
// neither after stop() nor when the process that started it is SIGKILLed.
import { describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defineKind, type KubeObject } from '../../src/runtime/types.ts';
import { TEST_NAMESPACE_LABEL, TestEnvironment, waitFor } from '../../src/testing/index.ts';
import { groupAlive } from '../../src/testing/control-plane/process.ts';

jest.setTimeout(180_000);

const CRD_FILE = fileURLToPath(new URL('./fixtures/testenv-crd.yaml', import.meta.url));
const TESTING = fileURLToPath(new URL('../../src/testing/index.ts', import.meta.url));
interface Widget extends KubeObject {
  spec?: { size?: number };
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}
const WIDGET = defineKind<Widget>('testenv.example.com', 'v1', 'Widget');
const NAMESPACE = defineKind<KubeObject>('', 'v1', 'Namespace');
/** The lean control plane: etcd and kube-apiserver only. */
const LEAN = { kwok: false, scheduler: false, controllerManager: false, metricsServer: false };

describe('TestEnvironment', () => {
  test('starts its own control plane, installs CRDs, makes namespaces, and stops everything', async () => {
    const env = await TestEnvironment.start({ kubeconfig: '', crds: [CRD_FILE], controlPlane: LEAN });
    const cp = env.controlPlane!;
    const pids = Object.values(cp.pids());
    let stopped = false;
    try {
      assert.deepEqual(Object.keys(cp.pids()).sort(), ['etcd', 'kube-apiserver']);
      const ns = await env.namespace('widgets');
      assert.match(ns, /^widgets-[0-9a-f]{8}$/);
      const created = await env.client.create<KubeObject>({ apiVersion: 'testenv.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns }, spec: { size: 3 } });
      assert.equal((await env.client.get(WIDGET, ns, 'w')).metadata.uid, created.metadata.uid);
      const labelled = await env.client.get(NAMESPACE, '', ns);
      assert.equal(labelled.metadata.labels?.[TEST_NAMESPACE_LABEL], String(process.pid));

      // waitForCondition: a timeout names the object and what its condition was last; then it resolves.
      await assert.rejects(
        env.waitForCondition(WIDGET, ns, 'w', 'Ready', { timeoutMs: 300 }),
        /Widget .*\/w Ready=True \(last: no Ready condition\)/,
      );
      const conditions = [{ type: 'Ready', status: 'False', reason: 'Warming' }];
      await env.client.updateStatus<Widget>({ ...(await env.client.get(WIDGET, ns, 'w')), status: { conditions } });
      assert.equal((await env.waitForCondition(WIDGET, ns, 'w', 'Ready', { status: 'False', reason: 'Warming' })).metadata.name, 'w');

      const notCrd = join(cp.dir, 'not-a-crd.yaml');
      writeFileSync(notCrd, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
      await assert.rejects(env.installCrds([notCrd]), /ConfigMap x is not an apiextensions.k8s.io\/v1 CustomResourceDefinition/);

      await env.stop();
      stopped = true;
      assert.deepEqual(pids.filter(groupAlive), [], 'every component is gone after stop()');
      assert.equal(existsSync(cp.dir), false, 'its temporary folder is removed');
    } finally {
      if (!stopped) await env.stop();
    }
  });

  test('uses a running control plane given by its kubeconfig, and stop() leaves that running', async () => {
    const own = await TestEnvironment.start({ kubeconfig: '', controlPlane: LEAN });
    try {
      const guest = await TestEnvironment.start({ kubeconfig: own.kubeconfigPath, crds: [CRD_FILE] });
      assert.equal(guest.controlPlane, undefined);
      const ns = await guest.namespace();
      await guest.stop();
      assert.deepEqual(Object.keys(own.controlPlane!.pids()).sort(), ['etcd', 'kube-apiserver'], 'still running');
      // The guest deleted the namespace it made.
      const gone = await own.client.find(NAMESPACE, '', ns);
      assert.ok(!gone || gone.metadata.deletionTimestamp, `namespace ${ns} is deleted or being deleted`);
    } finally {
      await own.stop();
    }
  });

  test('a start that fails (a binary missing) rejects with the reason and leaves no temporary folder', async () => {
    const ours = () => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('tentacle-testenv-')));
    const before = ours();
    await assert.rejects(TestEnvironment.start({ kubeconfig: '', controlPlane: { ...LEAN, binDir: '/nonexistent' } }), /etcd not found \(looked at \/nonexistent\/etcd\)/);
    assert.deepEqual([...ours()].filter((f) => !before.has(f)), []);
  });

  test('a SIGKILLed process takes the control plane it started with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tentacle-testenv-kill-'));
    const script = [
      `import { TestEnvironment } from ${JSON.stringify(TESTING)};`,
      `const env = await TestEnvironment.start({ kubeconfig: '', controlPlane: { dir: ${JSON.stringify(dir)}, ...${JSON.stringify(LEAN)} } });`,
      'console.log(JSON.stringify(Object.values(env.controlPlane.pids())));',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the process exited (${code}) before starting the control plane`)));
      });
      const pids = JSON.parse(line) as number[];
      assert.equal(pids.length, 2);
      child.kill('SIGKILL');
      await waitFor(() => pids.every((pid) => !groupAlive(pid)), { what: 'every component to die with its parent', timeoutMs: 15_000 });
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
