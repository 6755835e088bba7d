// The watcher against real failures on a private control plane: an API server restart, an etcd
// compaction that forces 410 Gone, and a connection that stalls silently. After each, the informer's
// store and the events its handlers saw must both equal a fresh list: nothing lost, nothing invented.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/testing/index.ts';
import type { Client } from '../../src/runtime/client/client.ts';
import { Informer } from '../../src/runtime/cache/informer.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics/metrics.ts';
import { objectKey, type KubeObject, type ReadonlyDeep } from '../../src/runtime/types.ts';
import { CONFIGMAP, testClient } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

jest.setTimeout(300_000);

describe('watcher recovery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-watch-'));
  const namespace = 'watched';
  const stop = new AbortController();
  const metrics = new RuntimeMetrics({ defaultMetrics: false });
  const seen: { type: 'add' | 'update' | 'delete'; key: string; rv: string }[] = [];
  let cp: ControlPlane;
  let direct: Client;
  let viaProxy: Client;
  let proxy: TcpProxy;
  let informer: Informer;

  beforeAll(async () => {
    cp = await startControlPlane({ dir, kwok: false, controllerManager: false, scheduler: false });
    direct = await testClient({ kubeconfig: cp.kubeconfigPath });
    await direct.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    proxy = await TcpProxy.start(cp.server);
    viaProxy = await testClient({ kubeconfig: cp.kubeconfigPath, server: proxy.url });
    informer = new Informer(
      viaProxy,
      CONFIGMAP,
      { namespace, inactivityTimeoutMs: 3_000, backoff: { initialMs: 100, maxMs: 1_000 } },
      { metrics },
    );
    const record = (type: 'add' | 'update' | 'delete') => (obj: ReadonlyDeep<KubeObject>) =>
      seen.push({ type, key: objectKey(obj), rv: obj.metadata.resourceVersion ?? '' });
    informer.addHandler({ onAdd: record('add'), onUpdate: (_old, obj) => record('update')(obj), onDelete: record('delete') });
    void informer.run(stop.signal);
    assert.equal(await informer.waitForSync(AbortSignal.timeout(30_000)), true);
  });

  afterAll(async () => {
    stop.abort();
    await proxy?.close();
    await viaProxy?.close();
    await direct?.close();
    const pids = cp ? Object.values(cp.pids()) : [];
    await cp?.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'control plane process still alive');
    rmSync(dir, { recursive: true, force: true });
  });

  const configMap = (name: string, value: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data: { value },
  });

  const update = async (name: string, value: string) => {
    const cm = await direct.get<KubeObject>(CONFIGMAP, namespace, name);
    await direct.update({ ...cm, data: { value } });
  };

  /** What the handlers were told, replayed: key → resourceVersion. */
  const replayed = () => {
    const state = new Map<string, string>();
    for (const e of seen) {
      if (e.type === 'delete') state.delete(e.key);
      else state.set(e.key, e.rv);
    }
    return state;
  };

  const converged = async () => {
    const truth = async () => {
      const list = await direct.listAll<KubeObject>(CONFIGMAP, { namespace });
      return new Map(list.items.map((o) => [objectKey(o), o.metadata.resourceVersion ?? '']));
    };
    await waitFor(
      async () => {
        const fresh = await truth();
        const store = new Map([...informer.store.values()].map((o) => [objectKey(o), o.metadata.resourceVersion ?? '']));
        return sameMap(fresh, store) && sameMap(fresh, replayed());
      },
      { timeoutMs: 60_000, what: 'store and handler events to equal a fresh list' },
    );
  };

  const restarts = async (reason: string) => {
    const metric = await metrics.watchRestarts.get();
    return metric.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
  };

  test('converges after the API server restarts', async () => {
    for (const name of ['a', 'b', 'c']) await direct.create(configMap(name, '1'));
    await converged();
    await cp.restartApiserver();
    await direct.create(configMap('d', '1'));
    await update('a', '2');
    await direct.delete(CONFIGMAP, namespace, 'b');
    await converged();
    assert.ok((await restarts('error')) + (await restarts('closed')) >= 1, 'the watch was re-established');
  });

  test('relists after 410 Gone and reports exactly what changed meanwhile', async () => {
    const mark = seen.length;
    proxy.cut();
    await direct.create(configMap('x', '1'));
    await update('c', '2');
    await direct.delete(CONFIGMAP, namespace, 'd');
    // Compaction removes the history; the restart empties the watch cache, so the informer's
    // resourceVersion is now too old for both.
    await cp.compactEtcd();
    await cp.restartApiserver();
    proxy.open();
    await converged();
    const delta = seen.slice(mark).map((e) => `${e.type} ${e.key}`).sort();
    assert.deepEqual(delta, [`add ${namespace}/x`, `delete ${namespace}/d`, `update ${namespace}/c`]);
    assert.ok((await restarts('gone')) >= 1, 'a 410 led to a relist');
  });

  test('replaces a stream that stalls without closing', async () => {
    const before = await restarts('stalled');
    proxy.stall();
    await update('a', '3');
    await waitFor(async () => (await restarts('stalled')) > before, { timeoutMs: 20_000, what: 'stall detection' });
    proxy.open();
    await converged();
  });
});

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
