// The Job controller as users run it: the operator process against the local control plane, pods
// simulated by kwok (sim.tentacle.dev/* annotations set duration and exit code).
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { Informer } from '../../src/runtime/cache/informer.ts';
import { isConditionTrue } from '../../src/runtime/util/conditions.ts';
import { JOB, POD, type Job, type Pod } from '../../src/api/batch/types.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { reconciledAfterNow } from '../support/reconciles.ts';
import { waitFor } from '../../src/testing/wait.ts';
import type { ReadonlyDeep } from '../../src/runtime/types.ts';

jest.setTimeout(300_000);

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };

describe('Job controller', () => {
  let client: Client;
  let namespace: string;
  let operator: OperatorProcess;
  const stop = new AbortController();
  let pods: Informer<Pod>;
  /** Per job: UIDs of every pod ever seen, and the most pods active at one instant. */
  const seen = new Map<string, { uids: Set<string>; active: Set<string>; maxActive: number; created: number[] }>();
  // Debug: the operator's log then has a line per reconcile, which reconciledAfterNow reads.
  const operatorArgs = () => ['--controllers=job', `--namespace=${namespace}`, '--log-level=debug'];

  const isActive = (p: ReadonlyDeep<Pod>) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
  const track = (p: ReadonlyDeep<Pod>) => {
    const job = p.metadata.labels?.['batch.tentacle.dev/job-name'];
    if (!job) return;
    let s = seen.get(job);
    if (!s) seen.set(job, (s = { uids: new Set(), active: new Set(), maxActive: 0, created: [] }));
    if (!s.uids.has(p.metadata.uid!)) s.created.push(Date.parse(p.metadata.creationTimestamp!));
    s.uids.add(p.metadata.uid!);
    if (isActive(p)) s.active.add(p.metadata.uid!);
    else s.active.delete(p.metadata.uid!);
    s.maxActive = Math.max(s.maxActive, s.active.size);
  };

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'job');
    pods = new Informer<Pod>(client, POD, { namespace });
    pods.addHandler({ onAdd: track, onUpdate: (_o, p) => track(p), onDelete: (p) => seen.get(p.metadata.labels?.['batch.tentacle.dev/job-name'] ?? '')?.active.delete(p.metadata.uid!) });
    void pods.run(stop.signal);
    await pods.waitForSync();
    operator = await runOperator(operatorArgs());
  });

  afterAll(async () => {
    stop.abort();
    if (operator) assert.equal(await operator.stop(), 0, operator.output().slice(-2000));
    await deleteNamespace(client, namespace);
    await client.close();
  });

  const newJob = (name: string, spec: Record<string, unknown>, sim: Record<string, string> = {}, restartPolicy = 'Never'): Job => ({
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      ...spec,
      template: {
        metadata: { annotations: Object.fromEntries(Object.entries(sim).map(([k, v]) => [`sim.tentacle.dev/${k}`, v])) },
        spec: {
          restartPolicy: restartPolicy as 'Never',
          containers: [{ name: 'pi', image: 'perl:5.34.0', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }],
        },
      },
    },
  });

  const podsOf = async (job: string) =>
    (await client.list<Pod>(POD, { namespace, labelSelector: `batch.tentacle.dev/job-name=${job}` })).items;
  const finished = (name: string, type: 'Complete' | 'Failed', timeoutMs = 60_000) =>
    waitFor(async () => {
      const job = await client.get<Job>(JOB, namespace, name);
      return isConditionTrue(job.status?.conditions, type) ? job : undefined;
    }, { what: `job ${name} ${type}`, timeoutMs });

  test('parallelism 2, completions 4: completes, never more than 2 pods at once', async () => {
    await client.create(newJob('pi-parallel', { parallelism: 2, completions: 4, backoffLimit: 4 }));
    const job = await finished('pi-parallel', 'Complete');
    assert.equal(job.status?.succeeded, 4);
    assert.equal(job.status?.failed ?? 0, 0);
    assert.ok(job.status?.completionTime && job.status.startTime);
    assert.equal(job.status?.active ?? 0, 0);
    assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.tentacle.dev/controller-uid': job.metadata.uid } });
    const s = seen.get('pi-parallel')!;
    assert.equal(s.uids.size, 4, 'exactly four pods were created');
    assert.ok(s.maxActive <= 2, `at most 2 active pods, saw ${s.maxActive}`);
    const podList = pods.store.list({ namespace }).filter((p) => p.metadata.labels?.['batch.tentacle.dev/job-name'] === 'pi-parallel');
    for (const p of podList) {
      assert.equal(p.metadata.labels?.['batch.tentacle.dev/controller-uid'], job.metadata.uid);
      assert.equal(p.metadata.labels?.['job-name'], 'pi-parallel');
      assert.deepEqual(p.metadata.finalizers ?? [], [], 'tracking finalizers are removed once counted');
    }
    const events = await client.list<{ metadata: object; reason: string; regarding: { name: string } }>(EVENTS, { namespace });
    assert.ok(events.items.filter((e) => e.reason === 'SuccessfulCreate' && e.regarding.name === 'pi-parallel').length >= 1);
  });

  test('a failing pod is recreated after the 10 s backoff, then BackoffLimitExceeded', async () => {
    await client.create(newJob('fails', { backoffLimit: 1 }, { 'exit-code': '1', duration: '500ms' }));
    const job = await finished('fails', 'Failed', 90_000);
    const failed = job.status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal(job.status?.failed, 2);
    const created = seen.get('fails')!.created.sort();
    assert.equal(created.length, 2);
    // Second pod: at least the 10 s backoff after the first one failed (it ran ~0.5–1.5 s).
    assert.ok(created[1]! - created[0]! >= 10_000, `replacement after ${created[1]! - created[0]!} ms`);
  });

  test('activeDeadlineSeconds fails the job with DeadlineExceeded and stops its pods', async () => {
    await client.create(newJob('slow', { activeDeadlineSeconds: 3, parallelism: 2, completions: 2 }, { duration: '10m' }));
    const job = await finished('slow', 'Failed');
    assert.equal(job.status!.conditions!.find((c) => c.type === 'Failed')!.reason, 'DeadlineExceeded');
    await waitFor(() => seen.get('slow')!.active.size === 0, { what: 'pods of the failed job to stop' });
  });

  test('Indexed: one pod per index with its index and hostname; completedIndexes', async () => {
    await client.create(newJob('indexed', { completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    const job = await finished('indexed', 'Complete');
    assert.equal(job.status?.completedIndexes, '0-2');
    const indexed = pods.store.list({ namespace }).filter((p) => p.metadata.labels?.['batch.tentacle.dev/job-name'] === 'indexed');
    const indexes = indexed.map((p) => p.metadata.annotations?.['batch.tentacle.dev/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of indexed) {
      const index = p.metadata.annotations!['batch.tentacle.dev/job-completion-index'];
      assert.equal(p.spec.hostname, `indexed-${index}`);
      // As upstream: the variable reads the pod's own index label through the downward API.
      const env = p.spec.containers[0]!.env!.find((e) => e.name === 'JOB_COMPLETION_INDEX');
      assert.deepEqual(env?.valueFrom, { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.tentacle.dev/job-completion-index']" } });
      assert.equal(p.metadata.labels?.['batch.tentacle.dev/job-completion-index'], index);
    }
  });

  test('suspend creates nothing until resumed', async () => {
    await client.create(newJob('paused', { suspend: true, completions: 2, parallelism: 2 }));
    const suspended = await waitFor(async () => {
      const job = await client.get<Job>(JOB, namespace, 'paused');
      return isConditionTrue(job.status?.conditions, 'Suspended') ? job : undefined;
    }, { what: 'Suspended condition' });
    await reconciledAfterNow(() => operator.stdout(), client, { controller: 'job', gvk: JOB, namespace, name: 'paused' });
    assert.deepEqual(await podsOf('paused'), [], 'no pods while suspended');
    assert.equal(seen.get('paused'), undefined, 'no pods while suspended');
    await client.patch(JOB, namespace, 'paused', { spec: { suspend: false } }, 'merge');
    const job = await finished('paused', 'Complete');
    assert.equal(job.status?.succeeded, 2);
    assert.equal(job.status?.conditions?.find((c) => c.type === 'Suspended')?.status, 'False');
    assert.ok(suspended.status?.startTime === undefined, 'startTime is set only once running');
  });

  test('ttlSecondsAfterFinished deletes the finished job', async () => {
    await client.create(newJob('short-lived', { ttlSecondsAfterFinished: 2 }));
    await finished('short-lived', 'Complete');
    await waitFor(async () => (await client.find(JOB, namespace, 'short-lived')) === undefined, { what: 'TTL deletion' });
  });

  const running = (name: string, count: number) =>
    waitFor(async () => ((await client.get<Job>(JOB, namespace, name)).status?.active ?? 0) === count, { what: `${count} active pods of ${name}` });

  test('deleting a running Job releases its pods: none is left Terminating with the tracking finalizer', async () => {
    await client.create(newJob('deleted-running', { parallelism: 3, completions: 3 }, { duration: '1h' }));
    await running('deleted-running', 3);
    await client.delete(JOB, namespace, 'deleted-running', { propagationPolicy: 'Background' });
    await waitFor(async () => (await podsOf('deleted-running')).length === 0, { what: "the deleted Job's pods gone", timeoutMs: 60_000 });
  });

  test('deleting a Job with --cascade=orphan leaves its pods running without the tracking finalizer', async () => {
    await client.create(newJob('orphaned', { parallelism: 2, completions: 2 }, { duration: '1h' }));
    await running('orphaned', 2);
    await client.delete(JOB, namespace, 'orphaned', { propagationPolicy: 'Orphan' });
    const orphans = await waitFor(async () => {
      const list = await podsOf('orphaned');
      return list.length === 2 && list.every((p) => !p.metadata.ownerReferences?.length && !p.metadata.finalizers?.length) ? list : undefined;
    }, { what: 'the orphaned pods released', timeoutMs: 60_000 });
    assert.ok(orphans.every((p) => !p.metadata.deletionTimestamp), 'orphaned pods keep running');
    for (const pod of orphans) await client.delete(POD, namespace, pod.metadata.name!);
  });

  test('pods of a Job deleted while the operator was down are released when it starts', async () => {
    await client.create(newJob('while-down', { parallelism: 2, completions: 2 }, { duration: '1h' }));
    await running('while-down', 2);
    assert.equal(await operator.stop(), 0);
    await client.delete(JOB, namespace, 'while-down', { propagationPolicy: 'Background' });
    // The garbage collector deletes the pods, which wait for the finalizer nobody is there to remove.
    await waitFor(async () => {
      const list = await podsOf('while-down');
      return list.length === 2 && list.every((p) => p.metadata.deletionTimestamp && p.metadata.finalizers?.length);
    }, { what: 'the pods Terminating, held by the tracking finalizer' });
    operator = await runOperator(operatorArgs());
    await waitFor(async () => (await podsOf('while-down')).length === 0, { what: 'the pods released and gone', timeoutMs: 60_000 });
  });

  test('kill -9 of the operator mid-run loses and duplicates nothing', async () => {
    await client.create(newJob('crash', { completions: 20, parallelism: 5 }, { duration: '1s' }));
    await waitFor(async () => ((await client.get<Job>(JOB, namespace, 'crash')).status?.succeeded ?? 0) >= 5, {
      what: 'some completions',
    });
    await operator.kill();
    // Pods keep finishing while nobody counts: wait until every pod left running has finished, uncounted.
    await waitFor(async () => (await podsOf('crash')).every((p) => !isActive(p)), { what: 'the running pods of crash finished while the operator is down' });
    operator = await runOperator(operatorArgs());
    const job = await finished('crash', 'Complete', 120_000);
    assert.equal(job.status?.succeeded, 20);
    assert.equal(job.status?.failed ?? 0, 0);
    assert.equal(seen.get('crash')!.uids.size, 20, 'no duplicate pods');
    assert.ok(seen.get('crash')!.maxActive <= 5);
  });
});
