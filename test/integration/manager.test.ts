// A manager with real controllers on the shared control plane: reconcile errors retry with backoff and
// never stop the process, owned objects lead back to their owner, Events are written and deduplicated,
// probes answer, and /metrics carries controller-runtime's metric names.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { isAlreadyExists, isNotFound } from '../../src/runtime/client/errors.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics/metrics.ts';
import { silentLogger } from '../../src/runtime/log.ts';
import type { KubeObject, Request } from '../../src/runtime/types.ts';
import { controllerRef } from '../../src/runtime/util/owners.ts';
import { CONFIGMAP, SECRET, deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { scrape } from '../support/metrics-text.ts';

jest.setTimeout(180_000);

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };

describe('manager', () => {
  const stop = new AbortController();
  let client: Client;
  let namespace: string;
  let manager: Manager;
  let running: Promise<void>;
  const attempts = new Map<string, number[]>();

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'manager');
    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    manager = await Manager.create({
      client: await testClient({ metrics }),
      metrics,
      namespace,
      metricsBindAddress: '127.0.0.1:0',
      healthProbeBindAddress: '127.0.0.1:0',
      logger: silentLogger,
    });
    const recorder = manager.eventRecorder('example.com/mirror');
    // "mirror": keeps a Secret with the same data next to every ConfigMap; a ConfigMap labelled
    // fail=N fails its first N reconciles (throwing, rejecting, and throwing a non-Error in turn).
    manager
      .controller('mirror')
      .for<KubeObject>(CONFIGMAP)
      .owns(SECRET)
      .withOptions({ maxConcurrentReconciles: 2 })
      .complete({
        reconcile: async (req: Request) => {
          const key = `${req.namespace}/${req.name}`;
          const times = [...(attempts.get(key) ?? []), performance.now()];
          attempts.set(key, times);
          const cm = manager.cache.get<KubeObject>(CONFIGMAP, req.namespace, req.name);
          if (!cm) return;
          if (cm.metadata.labels?.conflict === 'once' && times.length === 1) {
            // Someone else writes first; our write from the (now stale) cache copy must conflict.
            await client.update({ ...cm, data: { by: 'someone else' } });
            await client.update({ ...cm, data: { by: 'mirror' } });
          }
          const failures = Number(cm.metadata.labels?.fail ?? 0);
          if (times.length <= failures) {
            const mode = times.length % 3;
            if (mode === 1) throw new Error(`planned failure ${times.length}`);
            if (mode === 2) return Promise.reject(new Error('planned rejection'));
            throw 'a thrown string'; // eslint-disable-line @typescript-eslint/only-throw-error
          }
          if (!manager.cache.get(SECRET, req.namespace, req.name)) {
            // The cache may not have our own earlier create yet: AlreadyExists means done.
            await client.create({
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: req.name, namespace: req.namespace, ownerReferences: [controllerRef(cm, CONFIGMAP)] },
              stringData: (cm.data as Record<string, string>) ?? {},
            }).catch((err: unknown) => {
              if (!isAlreadyExists(err)) throw err;
            });
            recorder.event(cm, 'Normal', 'SuccessfulCreate', 'Create', `Created secret ${req.name}`);
          }
          recorder.event(cm, 'Normal', 'Synced', 'Reconcile', 'Secret is up to date');
        },
      });
    running = manager.start(stop.signal);
    await manager.elected;
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await deleteNamespace(client, namespace);
    await client.close();
  });

  test('reconciles objects and recreates a deleted owned object', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace }, data: { a: '1' } });
    const secret = await waitFor(() => client.find<KubeObject>(SECRET, namespace, 'plain'), { what: 'secret' });
    await client.delete(SECRET, namespace, 'plain');
    // The Secret's delete event maps to its owner, which creates it again.
    await waitFor(async () => {
      const again = await client.find<KubeObject>(SECRET, namespace, 'plain');
      return again && again.metadata.uid !== secret.metadata.uid;
    }, { what: 'secret to be recreated' });
  });

  test('a reconcile that throws is retried with growing backoff and the controller keeps running', async () => {
    await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flaky', namespace, labels: { fail: '6' } },
      data: { b: '2' },
    });
    await waitFor(() => client.find(SECRET, namespace, 'flaky'), { what: 'secret after retries' });
    const times = attempts.get(`${namespace}/flaky`)!;
    assert.ok(times.length >= 7, `expected 6 failures then success, got ${times.length} attempts`);
    const gaps = times.slice(1, 7).map((t, i) => t - times[i]!);
    // 5 ms × 2^n: each retry waits at least its backoff step.
    gaps.forEach((gap, i) => assert.ok(gap >= 5 * 2 ** i - 1, `retry ${i + 1} came after ${gap} ms`));
    const errors = await manager.metrics.reconcileErrors.get();
    assert.ok(errors.values.find((v) => v.labels.controller === 'mirror')!.value >= 6);
    // Still alive: a new object is handled.
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace } });
    await waitFor(() => client.find(SECRET, namespace, 'after'), { what: 'secret after the errors' });
  });

  test('a resourceVersion conflict requeues without counting as an error', async () => {
    const errorsBefore = (await manager.metrics.reconcileErrors.get()).values[0]?.value ?? 0;
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'racy', namespace, labels: { conflict: 'once' } } });
    await waitFor(() => client.find(SECRET, namespace, 'racy'), { what: 'secret after the conflict' });
    assert.ok(attempts.get(`${namespace}/racy`)!.length >= 2, 'retried after the conflict');
    const requeues = (await manager.metrics.reconcileTotal.get()).values.find(
      (v) => v.labels.controller === 'mirror' && v.labels.result === 'requeue',
    );
    assert.ok((requeues?.value ?? 0) >= 1);
    assert.equal((await manager.metrics.reconcileErrors.get()).values[0]?.value ?? 0, errorsBefore);
  });

  test('events are written once and repeats become a series', async () => {
    const events = await waitFor(async () => {
      const list = await client.list<KubeObject>(EVENTS, { namespace });
      const synced = list.items.filter((e) => e.reason === 'Synced' && (e.regarding as { name: string }).name === 'plain');
      const created = list.items.filter((e) => e.reason === 'SuccessfulCreate');
      return synced.length === 1 && (synced[0]!.series as { count: number } | undefined)?.count !== undefined && created.length >= 1
        ? { synced, created }
        : undefined;
    }, { what: 'a Synced event with a series' });
    const first = events.synced[0]!;
    assert.equal(first.reportingController, 'example.com/mirror');
    assert.ok((first.series as { count: number }).count >= 2);
    assert.equal(first.type, 'Normal');
  });

  test('probes and metrics are served', async () => {
    const probe = (path: string) => fetch(`http://127.0.0.1:${manager.probePort}${path}`);
    assert.equal((await probe('/healthz')).status, 200);
    const ready = await probe('/readyz?verbose');
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /\[\+\]informers-synced ok/);
    const text = await scrape(manager.metricsPort!);
    for (const series of [
      /^controller_runtime_reconcile_total\{controller="mirror",result="success"\} [1-9]/m,
      /^controller_runtime_reconcile_total\{controller="mirror",result="error"\} [1-9]/m,
      /^controller_runtime_reconcile_errors_total\{controller="mirror"\} [1-9]/m,
      /^controller_runtime_reconcile_time_seconds_bucket\{le="0\.005",controller="mirror"\}/m,
      /^controller_runtime_active_workers\{controller="mirror"\} 0/m,
      /^controller_runtime_max_concurrent_reconciles\{controller="mirror"\} 2/m,
      /^workqueue_depth\{name="mirror",controller="mirror"\} \d/m,
      /^workqueue_adds_total\{name="mirror",controller="mirror"\} [1-9]/m,
      /^workqueue_retries_total\{name="mirror",controller="mirror"\} [1-9]/m,
      /^workqueue_queue_duration_seconds_bucket\{le="[^"]+",name="mirror",controller="mirror"\}/m,
      /^workqueue_work_duration_seconds_count\{name="mirror",controller="mirror"\} [1-9]/m,
      /^workqueue_unfinished_work_seconds\{name="mirror",controller="mirror"\}/m,
      /^workqueue_longest_running_processor_seconds\{name="mirror",controller="mirror"\}/m,
      /^rest_client_requests_total\{code="200",method="GET",host="127\.0\.0\.1:\d+"\} [1-9]/m,
      /^rest_client_requests_total\{code="201",method="POST",host="127\.0\.0\.1:\d+"\} [1-9]/m,
    ]) {
      assert.match(text, series);
    }
  });

  test('a missing object is not an error', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace } });
    await waitFor(() => client.find(SECRET, namespace, 'gone'), { what: 'secret' });
    await client.delete(CONFIGMAP, namespace, 'gone');
    // The garbage collector removes the owned Secret; the reconcile of the missing ConfigMap succeeds.
    await waitFor(async () => {
      try {
        await client.get(SECRET, namespace, 'gone');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, { what: 'garbage collection of the owned secret' });
  });
});
