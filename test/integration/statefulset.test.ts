// The StatefulSet controller as users run it: the operator process against the local control plane,
// pods simulated by kwok (sim.tentacle.dev/ready: "false" keeps a pod unready), volumes pre-bound.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { Informer } from '../../src/runtime/cache/informer.ts';
import { STATEFULSET, type StatefulSet, type StatefulSetSpec } from '../../src/api/apps/types.ts';
import { CONTROLLER_REVISION, POD, PVC } from '../../src/api/core/types.ts';
import type { ControllerRevision, PersistentVolumeClaim, Pod } from '../../src/api/core/types.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { reconciledAfterNow } from '../support/reconciles.ts';
import { deleteStorageClass, deleteVolumes, preBoundVolumes, storageClass } from '../support/volumes.ts';
import { waitFor } from '../../src/testing/wait.ts';
import type { ReadonlyDeep } from '../../src/runtime/types.ts';

jest.setTimeout(600_000);

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };

/** What the test saw happen to one pod object (one UID), as sequence numbers of informer events. */
interface PodHistory {
  name: string;
  uid: string;
  seen: number;
  ready?: number;
  terminating?: number;
  gone?: number;
  revision: string;
}

describe('StatefulSet controller', () => {
  let client: Client;
  let namespace: string;
  let operator: OperatorProcess;
  const stop = new AbortController();
  let pods: Informer<Pod>;
  let seq = 0;
  const histories = new Map<string, PodHistory>();
  const volumes: string[] = [];
  const storageClassName = `tsts-expandable-${process.pid}`;
  // Debug: the operator's log then has a line per reconcile, which reconciledAfterNow reads.
  const operatorArgs = () => ['--controllers=statefulset', `--namespace=${namespace}`, '--log-level=debug'];

  const isReady = (p: ReadonlyDeep<Pod>) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const track = (p: ReadonlyDeep<Pod>) => {
    const uid = p.metadata.uid!;
    let h = histories.get(uid);
    if (!h) histories.set(uid, (h = { name: p.metadata.name!, uid, seen: ++seq, revision: p.metadata.labels?.['controller-revision-hash'] ?? '' }));
    if (h.ready === undefined && isReady(p)) h.ready = ++seq;
    if (h.terminating === undefined && p.metadata.deletionTimestamp) h.terminating = ++seq;
  };
  /** Every pod object of a set, in the order the test first saw them. */
  const historyOf = (set: string) =>
    [...histories.values()].filter((h) => new RegExp(`^${set}-\\d+$`).test(h.name)).sort((a, b) => a.seen - b.seen);

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'sts');
    pods = new Informer<Pod>(client, POD, { namespace });
    pods.addHandler({
      onAdd: track,
      onUpdate: (_o, p) => track(p),
      onDelete: (p) => {
        const h = histories.get(p.metadata.uid!);
        if (h) {
          h.terminating ??= ++seq;
          h.gone = ++seq;
        }
      },
    });
    void pods.run(stop.signal);
    await pods.waitForSync();
    await storageClass(client, storageClassName, true);
    operator = await runOperator(operatorArgs());
  });

  afterAll(async () => {
    stop.abort();
    if (operator) assert.equal(await operator.stop(), 0, operator.output().slice(-2000));
    await deleteNamespace(client, namespace);
    await deleteVolumes(client, volumes);
    await deleteStorageClass(client, storageClassName);
    await client.close();
  });

  const newSet = (name: string, spec: Partial<StatefulSetSpec> = {}, annotations: Record<string, string> = {}): StatefulSet => ({
    apiVersion: 'apps.tentacle.dev/v1alpha1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      ...spec,
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: { containers: [{ name: 'web', image: 'registry.k8s.io/nginx-slim:0.24' }] },
      },
    },
  });

  const getSet = (name: string) => client.get<StatefulSet>(STATEFULSET, namespace, name);
  const readySet = (name: string, replicas: number, timeoutMs = 60_000) =>
    waitFor(async () => {
      const set = await getSet(name);
      const s = set.status;
      return s?.observedGeneration === set.metadata.generation && s?.readyReplicas === replicas && s.replicas === replicas ? set : undefined;
    }, { what: `${name} to have ${replicas} ready replicas`, timeoutMs });
  const livePods = (set: string) =>
    pods.store.list({ namespace }).filter((p) => new RegExp(`^${set}-\\d+$`).test(p.metadata.name!)).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const patchSet = (name: string, patch: unknown) => client.patch(STATEFULSET, namespace, name, patch, 'merge');
  /** The set's pods as the API server has them now (the test's informer may not have caught up). */
  const podsNow = async (set: string) =>
    (await client.list<Pod>(POD, { namespace })).items.filter((p) => new RegExp(`^${set}-\\d+$`).test(p.metadata.name!)).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  /** Proof that the controller has reconciled the set since now, before asserting that it did nothing. */
  const reconciled = (set: string) => reconciledAfterNow(() => operator.stdout(), client, { controller: 'statefulset', gvk: STATEFULSET, namespace, name: set });

  /** Each pod i > 0 was first seen only after pod i-1 was seen Ready. */
  const assertOrderedCreation = (set: string, replicas: number) => {
    const first = new Map<string, PodHistory>();
    for (const h of historyOf(set)) if (!first.has(h.name)) first.set(h.name, h);
    assert.deepEqual([...first.keys()], Array.from({ length: replicas }, (_, i) => `${set}-${i}`), 'creation order');
    for (let i = 1; i < replicas; i++) {
      const cur = first.get(`${set}-${i}`)!;
      const readyBefore = historyOf(set).some((h) => h.name === `${set}-${i - 1}` && h.ready !== undefined && h.ready < cur.seen);
      assert.ok(readyBefore, `${set}-${i} created before ${set}-${i - 1} was Ready`);
    }
  };

  test('OrderedReady: creates 0 → N-1, each only after its predecessor is Ready; stable identity', async () => {
    await client.create(newSet('web', { replicas: 4 }));
    const set = await readySet('web', 4);
    assertOrderedCreation('web', 4);
    assert.equal(set.status?.currentRevision, set.status?.updateRevision);
    assert.equal(set.status?.selector, 'app=web');
    for (const [i, pod] of livePods('web').entries()) {
      assert.equal(pod.metadata.name, `web-${i}`);
      assert.equal(pod.spec.hostname, `web-${i}`);
      assert.equal(pod.spec.subdomain, 'web');
      assert.equal(pod.metadata.labels?.['statefulset.kubernetes.io/pod-name'], `web-${i}`);
      assert.equal(pod.metadata.labels?.['apps.kubernetes.io/pod-index'], String(i));
      assert.equal(pod.metadata.labels?.['controller-revision-hash'], set.status?.updateRevision);
      assert.equal(pod.metadata.ownerReferences?.[0]?.uid, set.metadata.uid);
    }
    const revisions = await client.list<ControllerRevision>(CONTROLLER_REVISION, { namespace });
    assert.deepEqual(revisions.items.map((r) => r.metadata.name), [set.status?.updateRevision]);
  });

  test('scale down removes N-1 → 0, one at a time, each after the previous is gone', async () => {
    await readySet('web', 4);
    await patchSet('web', { spec: { replicas: 1 } });
    await readySet('web', 1);
    const removed = historyOf('web').filter((h) => h.terminating !== undefined).sort((a, b) => a.terminating! - b.terminating!);
    assert.deepEqual(removed.map((h) => h.name), ['web-3', 'web-2', 'web-1']);
    for (let i = 1; i < removed.length; i++) {
      assert.ok(removed[i - 1]!.gone! < removed[i]!.terminating!, `${removed[i]!.name} deleted before ${removed[i - 1]!.name} was gone`);
    }
  });

  test('an unready pod halts the rollout', async () => {
    await client.create(newSet('halt', { replicas: 3 }, { 'sim.tentacle.dev/ready': 'false' }));
    // As far as halt-0 gets: Running, never Ready.
    const halt0 = await waitFor(async () => {
      const pod = await client.find<Pod>(POD, namespace, 'halt-0');
      return pod?.status?.phase === 'Running' ? pod : undefined;
    }, { what: 'halt-0 Running' });
    await reconciled('halt');
    assert.deepEqual((await podsNow('halt')).map((p) => p.metadata.name), ['halt-0'], 'nothing after an unready pod');
    const set = await getSet('halt');
    assert.equal(set.status?.readyReplicas ?? 0, 0);
    // As upstream, fixing the template is not enough: the broken pod must be deleted by hand (the
    // documented "forced rollback"), then it comes back from the new template and the rollout goes on.
    await patchSet('halt', { spec: { template: { metadata: { annotations: { 'sim.tentacle.dev/ready': 'true' } } } } });
    await waitFor(async () => (await getSet('halt')).status?.observedGeneration === 2 || undefined, { what: 'new template seen' });
    await reconciled('halt');
    const kept = await podsNow('halt');
    assert.deepEqual(kept.map((p) => [p.metadata.name, p.metadata.uid, p.metadata.deletionTimestamp]), [['halt-0', halt0.metadata.uid, undefined]], 'an unhealthy pod is not replaced on its own');
    await client.delete(POD, namespace, 'halt-0');
    await readySet('halt', 3);
    assertOrderedCreation('halt', 3);
  });

  test('Parallel creates and deletes without waiting', async () => {
    await client.create(newSet('par', { replicas: 4, podManagementPolicy: 'Parallel' }, { 'sim.tentacle.dev/ready': 'false' }));
    await waitFor(() => livePods('par').length === 4 || undefined, { what: 'all 4 pods of par at once, though none is ready' });
    await patchSet('par', { spec: { replicas: 0 } });
    await waitFor(() => livePods('par').length === 0 || undefined, { what: 'par scaled to zero' });
  });

  test('a failed pod is deleted and recreated with the same name', async () => {
    await client.create(newSet('heal', { replicas: 2 }));
    await readySet('heal', 2);
    const old = livePods('heal')[1]!;
    await client.patch(POD, namespace, 'heal-1', { status: { phase: 'Failed' } }, 'merge', { subresource: 'status' });
    await waitFor(() => livePods('heal').find((p) => p.metadata.name === 'heal-1' && p.metadata.uid !== old.metadata.uid && isReady(p)), {
      what: 'heal-1 replaced',
    });
    await readySet('heal', 2);
  });

  test('a pod that lost its identity labels gets them back by a patch, keeping every field the cache does not hold', async () => {
    await client.create(newSet('relabel', { replicas: 1 }));
    await readySet('relabel', 1);
    const before = await client.get<Pod>(POD, namespace, 'relabel-0');
    await client.patch(POD, namespace, 'relabel-0', { metadata: { labels: { 'statefulset.kubernetes.io/pod-name': null, 'apps.kubernetes.io/pod-index': null } } }, 'merge');
    const after = await waitFor(async () => {
      const pod = await client.get<Pod>(POD, namespace, 'relabel-0');
      return pod.metadata.labels?.['statefulset.kubernetes.io/pod-name'] === 'relabel-0' ? pod : undefined;
    }, { what: 'relabel-0 relabelled' });
    assert.equal(after.metadata.uid, before.metadata.uid, 'the same pod, not a new one');
    assert.equal(after.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    // The operator's cache holds only claim volumes, node-less spec and status of a pod: a write of
    // the cached pod would have dropped the rest.
    assert.deepEqual(after.spec, before.spec);
    await waitFor(async () => {
      const events = await client.list<{ metadata: object; reason: string; regarding: { name: string } }>(EVENTS, { namespace });
      return events.items.some((e) => e.reason === 'SuccessfulUpdate' && e.regarding.name === 'relabel') || undefined;
    }, { what: 'a SuccessfulUpdate event of relabel' });
  });

  test('partitioned rolling update, then the rest; history and rollback', async () => {
    await client.create(newSet('roll', { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, revisionHistoryLimit: 1 }));
    const v1 = (await readySet('roll', 3)).status!.updateRevision!;
    await patchSet('roll', { spec: { template: { metadata: { annotations: { version: '2' } } } } });
    const partial = await waitFor(async () => {
      const s = await getSet('roll');
      return s.status?.updatedReplicas === 2 && s.status.readyReplicas === 3 ? s : undefined;
    }, { what: 'two pods updated' });
    const v2 = partial.status!.updateRevision!;
    assert.notEqual(v2, v1);
    assert.equal(partial.status?.currentRevision, v1, 'the rollout is not complete below the partition');
    const revisionByPod = Object.fromEntries(livePods('roll').map((p) => [p.metadata.name, p.metadata.labels?.['controller-revision-hash']]));
    assert.deepEqual(revisionByPod, { 'roll-0': v1, 'roll-1': v2, 'roll-2': v2 });
    const updated = historyOf('roll').filter((h) => h.revision === v2);
    assert.deepEqual(updated.map((h) => h.name), ['roll-2', 'roll-1'], 'highest ordinal first');

    await patchSet('roll', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    const done = await waitFor(async () => {
      const s = await getSet('roll');
      return s.status?.currentRevision === v2 && s.status.updatedReplicas === 3 && s.status.readyReplicas === 3 ? s : undefined;
    }, { what: 'rollout complete' });
    assert.equal(done.status?.currentReplicas, 3);

    // Rollback: the old template again reuses revision v1 under a new number.
    await patchSet('roll', { spec: { template: { metadata: { annotations: { version: null } } } } });
    await waitFor(async () => (await getSet('roll')).status?.currentRevision === v1 || undefined, { what: 'rolled back to v1' });
    const revisions = await waitFor(async () => {
      const list = (await client.list<ControllerRevision>(CONTROLLER_REVISION, { namespace })).items.filter((r) => r.metadata.name!.startsWith('roll-'));
      return list.length === 2 ? list : undefined;
    }, { what: 'history truncated to the limit' });
    const byName = Object.fromEntries(revisions.map((r) => [r.metadata.name, r.revision]));
    assert.equal(byName[v1], 3, 'v1 renumbered as the newest revision');
  });

  test('OnDelete updates a pod only when it is deleted', async () => {
    await client.create(newSet('ondel', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
    const v1 = (await readySet('ondel', 2)).status!.updateRevision!;
    const original = (await podsNow('ondel')).map((p) => [p.metadata.name, p.metadata.uid, v1]);
    await patchSet('ondel', { spec: { template: { metadata: { annotations: { version: '2' } } } } });
    const v2 = (await waitFor(async () => {
      const s = await getSet('ondel');
      return s.status?.updateRevision !== v1 && s.status?.observedGeneration === s.metadata.generation ? s : undefined;
    }, { what: 'new update revision' })).status!.updateRevision!;
    await reconciled('ondel');
    const now = await podsNow('ondel');
    assert.ok(now.every((p) => !p.metadata.deletionTimestamp), 'no pod deleted on its own');
    assert.deepEqual(now.map((p) => [p.metadata.name, p.metadata.uid, p.metadata.labels?.['controller-revision-hash']]), original, 'no pod replaced on its own');
    await client.delete(POD, namespace, 'ondel-0');
    await waitFor(() => livePods('ondel').find((p) => p.metadata.name === 'ondel-0' && p.metadata.labels?.['controller-revision-hash'] === v2 && isReady(p)), {
      what: 'ondel-0 recreated at the update revision',
    });
    assert.equal(livePods('ondel').find((p) => p.metadata.name === 'ondel-1')?.metadata.labels?.['controller-revision-hash'], v1);
  });

  test('claims: created before the pod, survive set deletion, reattached on re-creation; resize', async () => {
    const claimNames = ['data-db-0', 'data-db-1'];
    volumes.push(...(await preBoundVolumes(client, namespace, claimNames, { storageClassName })));
    const withClaims = (): StatefulSet => {
      const set = newSet('db', { replicas: 2 });
      set.spec.volumeClaimTemplates = [
        { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } } },
      ];
      return set;
    };
    await client.create(withClaims());
    await readySet('db', 2);
    const claims = async () => (await client.list<PersistentVolumeClaim>(PVC, { namespace })).items.filter((c) => c.metadata.name!.startsWith('data-db-'));
    const before = await claims();
    assert.deepEqual(before.map((c) => c.metadata.name).sort(), claimNames);
    assert.ok(before.every((c) => c.status?.phase === 'Bound'));
    for (const pod of livePods('db')) {
      const volume = pod.spec.volumes?.find((v) => v.name === 'data');
      assert.equal(volume?.persistentVolumeClaim?.claimName, `data-${pod.metadata.name}`);
    }

    await client.delete(STATEFULSET, namespace, 'db', { propagationPolicy: 'Foreground' });
    await waitFor(async () => livePods('db').length === 0 && !(await client.find(STATEFULSET, namespace, 'db')), { what: 'db and its pods gone' });
    const kept = await claims();
    assert.deepEqual(kept.map((c) => c.metadata.uid).sort(), before.map((c) => c.metadata.uid).sort(), 'claims survive the set (Retain)');

    await client.create(withClaims());
    await readySet('db', 2);
    const again = await claims();
    assert.deepEqual(again.map((c) => c.metadata.uid).sort(), before.map((c) => c.metadata.uid).sort(), 'the same claims are reattached');

    // Beyond upstream: growing the template's storage grows the bound claims.
    await client.patch(STATEFULSET, namespace, 'db', [{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', value: '2Gi' }], 'json');
    const resized = await waitFor(async () => {
      const set = await getSet('db');
      const entry = set.status?.volumeClaimTemplates?.[0];
      return entry?.storage === '2Gi' && entry.updatedClaims === 2 ? entry : undefined;
    }, { what: 'claims resized' });
    assert.equal(resized.claims, 2);
    assert.ok((await claims()).every((c) => c.spec.resources?.requests?.storage === '2Gi'));
    const events = await client.list<{ metadata: object; reason: string; regarding: { name: string } }>(EVENTS, { namespace });
    assert.ok(events.items.some((e) => e.reason === 'ResizingClaim' && e.regarding.name === 'db'));
  });

  test('whenScaled: Delete removes the claims of scaled-down pods; whenDeleted: Delete removes the rest with the set', async () => {
    const claimNames = ['data-gc-0', 'data-gc-1'];
    volumes.push(...(await preBoundVolumes(client, namespace, claimNames, { storageClassName })));
    const set = newSet('gc', { replicas: 2, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Delete' } });
    set.spec.volumeClaimTemplates = [
      { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } } },
    ];
    const created = await client.create(set);
    await readySet('gc', 2);
    const claim = (name: string) => client.find<PersistentVolumeClaim>(PVC, namespace, name);
    assert.equal((await claim('data-gc-0'))?.metadata.ownerReferences?.[0]?.uid, created.metadata.uid, 'the set owns its claims');
    await patchSet('gc', { spec: { replicas: 1 } });
    await waitFor(async () => !(await claim('data-gc-1')), { what: 'data-gc-1 collected with its pod' });
    assert.ok(await claim('data-gc-0'));
    await client.delete(STATEFULSET, namespace, 'gc');
    await waitFor(async () => !(await claim('data-gc-0')), { what: 'data-gc-0 collected with the set' });
  });

  test('delete --cascade=orphan keeps pods and revisions; a new set adopts them without restarting a pod', async () => {
    await client.create(newSet('orphan', { replicas: 2 }));
    const first = await readySet('orphan', 2);
    const podUids = livePods('orphan').map((p) => p.metadata.uid).sort();
    await client.delete(STATEFULSET, namespace, 'orphan', { propagationPolicy: 'Orphan' });
    await waitFor(async () => !(await client.find(STATEFULSET, namespace, 'orphan')), { what: 'orphan deleted' });
    const revision = () => client.find<ControllerRevision>(CONTROLLER_REVISION, namespace, first.status!.updateRevision!);
    assert.ok(await revision(), 'the revision outlives its set');
    assert.ok(livePods('orphan').every((p) => !p.metadata.ownerReferences?.length), 'pods orphaned');
    const again = await client.create(newSet('orphan', { replicas: 2 }));
    await readySet('orphan', 2);
    await waitFor(() => livePods('orphan').every((p) => p.metadata.ownerReferences?.[0]?.uid === again.metadata.uid) || undefined, { what: 'pods adopted' });
    assert.deepEqual(livePods('orphan').map((p) => p.metadata.uid).sort(), podUids, 'the same pods, not restarted');
    assert.equal((await revision())?.metadata.ownerReferences?.[0]?.uid, again.metadata.uid, 'the revision adopted');
  });

  test('kill -9 mid-rollout: no ordinal gets a second pod, order still holds', async () => {
    await client.create(newSet('crash', { replicas: 6 }));
    await waitFor(() => livePods('crash').length >= 2 || undefined, { what: 'rollout under way' });
    await operator.kill();
    operator = await runOperator(operatorArgs());
    await readySet('crash', 6);
    assertOrderedCreation('crash', 6);
    const all = historyOf('crash');
    assert.equal(all.length, 6, `one pod object per ordinal, saw ${all.map((h) => h.name).join(',')}`);

    // And mid rolling update: each ordinal is replaced exactly once.
    await patchSet('crash', { spec: { template: { metadata: { annotations: { version: '2' } } } } });
    await waitFor(() => historyOf('crash').filter((h) => h.terminating !== undefined).length >= 2 || undefined, { what: 'update under way' });
    await operator.kill();
    operator = await runOperator(operatorArgs());
    await waitFor(async () => {
      const s = await getSet('crash');
      return s.status?.updatedReplicas === 6 && s.status.readyReplicas === 6 && s.status.currentRevision === s.status.updateRevision;
    }, { what: 'rolling update complete after the crash', timeoutMs: 90_000 });
    const counts = new Map<string, number>();
    for (const h of historyOf('crash')) counts.set(h.name, (counts.get(h.name) ?? 0) + 1);
    assert.deepEqual([...counts.values()], [2, 2, 2, 2, 2, 2], 'each ordinal: the old pod and one replacement');
  });
});
