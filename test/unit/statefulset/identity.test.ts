// Table tests for src/controllers/statefulset/identity.ts, ported from upstream
// pkg/controller/statefulset/stateful_set_utils_test.go (TestGetParentNameAndOrdinal, TestIsMemberOf,
// TestIdentityMatches, TestStorageMatches, TestUpdateIdentity, TestUpdateStorage, TestNewPodControllerRef,
// TestIsRunningAndReady) plus podutil.IsPodAvailable's minReadySeconds boundary.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { API_VERSION, LABEL_POD_INDEX, LABEL_POD_NAME, LABEL_REVISION_HASH } from '../../../src/api/apps/types.ts';
import type { StatefulSetSpec } from '../../../src/api/apps/types.ts';
import type { Pod } from '../../../src/api/core/types.ts';
import {
  availableAt,
  claimName,
  endOrdinal,
  identityMatches,
  inOrdinalRange,
  isAvailable,
  isCreated,
  isFailed,
  isMemberOf,
  isPending,
  isPodReady,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  isUnavailable,
  newStatefulPod,
  ordinalOf,
  parentAndOrdinal,
  podName,
  replicasOf,
  revisionOf,
  startOrdinal,
  storageMatches,
  withIdentity,
  withStorage,
} from '../../../src/controllers/statefulset/identity.ts';
import { rfc3339 } from '../../../src/runtime/util/time.ts';

import { makeSet } from './fixtures.ts';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const at = (s: number): string => rfc3339(NOW + s * 1000);


const clone = <T>(v: T): T => structuredClone(v);

describe('parentAndOrdinal (getParentNameAndOrdinal)', () => {
  const cases: { name: string; parent: string; ordinal: number }[] = [
    { name: 'foo-1', parent: 'foo', ordinal: 1 },
    { name: 'foo-0', parent: 'foo', ordinal: 0 },
    { name: '1-bar', parent: '', ordinal: -1 },
    { name: 'foo', parent: '', ordinal: -1 },
    { name: 'foo-', parent: '', ordinal: -1 },
    { name: 'foo-bar-12', parent: 'foo-bar', ordinal: 12 },
    { name: 'web-2-3', parent: 'web-2', ordinal: 3 },
    { name: 'foo-01', parent: 'foo', ordinal: 1 },
    { name: '-3', parent: '', ordinal: 3 },
    { name: 'foo-2147483647', parent: 'foo', ordinal: 2_147_483_647 },
    // strconv.ParseInt(…, 10, 32) fails: the parent is still reported, the ordinal is -1.
    { name: 'foo-2147483648', parent: 'foo', ordinal: -1 },
    { name: 'foo-99999999999999999999', parent: 'foo', ordinal: -1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(parentAndOrdinal(c.name), { parent: c.parent, ordinal: c.ordinal });
    });
  }
  test('ordinalOf a pod without a name', () => {
    assert.equal(ordinalOf({ metadata: {}, spec: { containers: [] } }), -1);
  });
});

describe('ordinal range', () => {
  const cases: { name: string; spec: Partial<StatefulSetSpec>; start: number; end: number; inRange: number[]; outOfRange: number[] }[] = [
    { name: 'replicas 3', spec: { replicas: 3 }, start: 0, end: 2, inRange: [0, 1, 2], outOfRange: [3, 4] },
    { name: 'replicas 0', spec: { replicas: 0 }, start: 0, end: -1, inRange: [], outOfRange: [0, 1] },
    { name: 'replicas unset: 1', spec: { replicas: undefined }, start: 0, end: 0, inRange: [0], outOfRange: [1] },
    { name: 'ordinals.start 2', spec: { replicas: 3, ordinals: { start: 2 } }, start: 2, end: 4, inRange: [2, 3, 4], outOfRange: [0, 1, 5] },
    { name: 'ordinals: {} (start 0)', spec: { replicas: 2, ordinals: {} }, start: 0, end: 1, inRange: [0, 1], outOfRange: [2] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const set = makeSet(3, c.spec);
      assert.equal(startOrdinal(set), c.start);
      assert.equal(endOrdinal(set), c.end);
      for (const o of c.inRange) assert.equal(inOrdinalRange(newStatefulPod(set, o, 'r'), set), true, `ordinal ${o}`);
      for (const o of c.outOfRange) assert.equal(inOrdinalRange(newStatefulPod(set, o, 'r'), set), false, `ordinal ${o}`);
    });
  }
  test('replicasOf defaults to 1', () => {
    assert.equal(replicasOf(makeSet(3, { replicas: undefined })), 1);
    assert.equal(replicasOf(makeSet(0)), 0);
  });
  test('a pod without an ordinal is never in range', () => {
    const set = makeSet(3);
    assert.equal(inOrdinalRange({ metadata: { name: 'foo' }, spec: { containers: [] } }, set), false);
  });
});

describe('names', () => {
  test('podName and claimName', () => {
    const set = makeSet(3);
    assert.equal(podName(set, 2), 'foo-2');
    assert.equal(claimName(set, 'datadir', 2), 'datadir-foo-2');
  });
});

describe('isMemberOf', () => {
  test('by parent name', () => {
    const set = makeSet(3);
    const set2 = makeSet(3, {}, 'foo2');
    const pod = newStatefulPod(set, 1, 'r');
    assert.equal(isMemberOf(set, pod), true);
    assert.equal(isMemberOf(set2, pod), false);
  });
});

describe('identityMatches', () => {
  const set = makeSet(3);
  const cases: { name: string; mutate: (p: Pod) => void; want: boolean }[] = [
    { name: 'a new pod', mutate: () => {}, want: true },
    { name: 'wrong name (no ordinal)', mutate: (p) => (p.metadata.name = 'foo'), want: false },
    { name: 'wrong namespace', mutate: (p) => (p.metadata.namespace = ''), want: false },
    { name: 'no namespace', mutate: (p) => delete p.metadata.namespace, want: false },
    { name: 'pod-name label missing', mutate: (p) => delete p.metadata.labels![LABEL_POD_NAME], want: false },
    { name: 'pod-name label wrong', mutate: (p) => (p.metadata.labels![LABEL_POD_NAME] = 'foo-2'), want: false },
    { name: 'another set', mutate: (p) => (p.metadata.name = 'bar-1'), want: false },
    // Upstream also requires pod.Name == getPodName(set, ordinal): a leading zero is not the pod's name.
    {
      name: 'leading zero in the ordinal',
      mutate: (p) => {
        p.metadata.name = 'foo-01';
        p.metadata.labels![LABEL_POD_NAME] = 'foo-01';
      },
      want: false,
    },
    // The pod-index label is not part of upstream's identity check.
    { name: 'pod-index label missing', mutate: (p) => delete p.metadata.labels![LABEL_POD_INDEX], want: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = newStatefulPod(set, 1, 'r');
      c.mutate(pod);
      assert.equal(identityMatches(set, pod), c.want);
    });
  }
});

describe('storageMatches', () => {
  const set = makeSet(3);
  const cases: { name: string; mutate: (p: Pod) => void; want: boolean }[] = [
    { name: 'a new pod', mutate: () => {}, want: true },
    { name: 'no volumes', mutate: (p) => delete p.spec.volumes, want: false },
    {
      name: 'claim volume without persistentVolumeClaim',
      mutate: (p) => {
        for (const v of p.spec.volumes ?? []) delete v.persistentVolumeClaim;
      },
      want: false,
    },
    {
      name: 'wrong claim name',
      mutate: (p) => {
        for (const v of p.spec.volumes ?? []) if (v.persistentVolumeClaim) v.persistentVolumeClaim.claimName = 'foo';
      },
      want: false,
    },
    { name: 'invalid ordinal', mutate: (p) => (p.metadata.name = 'bar'), want: false },
    { name: 'claim of another ordinal', mutate: (p) => (p.metadata.name = 'foo-2'), want: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = newStatefulPod(set, 1, 'r');
      c.mutate(pod);
      assert.equal(storageMatches(set, pod), c.want);
    });
  }
  test('no claim templates: any pod with an ordinal matches', () => {
    const bare = makeSet(3, { volumeClaimTemplates: undefined });
    const pod = newStatefulPod(bare, 1, 'r');
    delete pod.spec.volumes;
    assert.equal(storageMatches(bare, pod), true);
  });
});

describe('withIdentity (updateIdentity)', () => {
  const set = makeSet(3);
  const cases: { name: string; mutate: (p: Pod) => void }[] = [
    { name: 'restores the namespace', mutate: (p) => (p.metadata.namespace = '') },
    { name: 'restores the pod-name label', mutate: (p) => delete p.metadata.labels![LABEL_POD_NAME] },
    { name: 'restores labels when there are none', mutate: (p) => delete p.metadata.labels },
    { name: 'corrects a wrong pod-index label', mutate: (p) => (p.metadata.labels![LABEL_POD_INDEX] = '7') },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = newStatefulPod(set, 1, 'r');
      c.mutate(pod);
      const before = clone(pod);
      const fixed = withIdentity(set, pod);
      assert.equal(identityMatches(set, fixed), true);
      assert.equal(fixed.metadata.labels?.[LABEL_POD_INDEX], '1');
      assert.equal(fixed.metadata.namespace, 'default');
      assert.deepEqual(pod, before, 'the input pod is not mutated');
    });
  }
  test('keeps other labels', () => {
    const pod = newStatefulPod(set, 1, 'r');
    pod.metadata.labels!.extra = 'x';
    assert.equal(withIdentity(set, pod).metadata.labels?.extra, 'x');
  });
});

describe('withStorage (updateStorage)', () => {
  const set = makeSet(3);
  const cases: { name: string; mutate: (p: Pod) => void }[] = [
    { name: 'recreates volumes', mutate: (p) => delete p.spec.volumes },
    {
      name: 'recreates volume claims',
      mutate: (p) => {
        for (const v of p.spec.volumes ?? []) delete v.persistentVolumeClaim;
      },
    },
    {
      name: 'recreates claim names',
      mutate: (p) => {
        for (const v of p.spec.volumes ?? []) if (v.persistentVolumeClaim) v.persistentVolumeClaim.claimName = 'foo';
      },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = newStatefulPod(set, 1, 'r');
      c.mutate(pod);
      assert.equal(storageMatches(set, pod), false);
      const before = clone(pod);
      const fixed = withStorage(set, pod);
      assert.equal(storageMatches(set, fixed), true);
      assert.deepEqual(pod, before, 'the input pod is not mutated');
    });
  }
  test('a conflicting local volume is replaced, other volumes are kept after the claims', () => {
    const pod = newStatefulPod(set, 1, 'r');
    pod.spec.volumes = [
      { name: 'home', hostPath: { path: '/tmp/home' } },
      { name: 'datadir', emptyDir: {} },
    ];
    const fixed = withStorage(set, pod);
    assert.deepEqual(fixed.spec.volumes, [
      { name: 'datadir', persistentVolumeClaim: { claimName: 'datadir-foo-1' } },
      { name: 'home', hostPath: { path: '/tmp/home' } },
    ]);
  });
});

describe('newStatefulPod (newStatefulSetPod + setPodRevision)', () => {
  test('identity, storage, labels, controller reference', () => {
    const set = makeSet(3);
    const pod = newStatefulPod(set, 1, 'foo-abc');
    assert.equal(pod.apiVersion, 'v1');
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata.name, 'foo-1');
    assert.equal(pod.metadata.namespace, 'default');
    assert.equal(pod.spec.hostname, 'foo-1');
    assert.equal(pod.spec.subdomain, 'governingsvc');
    assert.deepEqual(pod.metadata.labels, {
      foo: 'bar',
      [LABEL_REVISION_HASH]: 'foo-abc',
      [LABEL_POD_NAME]: 'foo-1',
      [LABEL_POD_INDEX]: '1',
    });
    assert.equal(revisionOf(pod), 'foo-abc');
    // TestNewPodControllerRef
    assert.deepEqual(pod.metadata.ownerReferences, [
      { apiVersion: API_VERSION, kind: 'StatefulSet', name: 'foo', uid: 'test', controller: true, blockOwnerDeletion: true },
    ]);
    assert.deepEqual(pod.spec.volumes, [
      { name: 'datadir', persistentVolumeClaim: { claimName: 'datadir-foo-1' } },
      { name: 'home', hostPath: { path: '/tmp/home' } },
    ]);
    assert.equal(identityMatches(set, pod), true);
    assert.equal(storageMatches(set, pod), true);
    assert.equal(pod.status, undefined, 'a new pod has no phase (not created)');
    assert.equal(isCreated(pod), false);
  });
  test('template annotations and finalizers are copied, the template is not mutated', () => {
    const set = makeSet(3);
    set.spec.template.metadata = { labels: { foo: 'bar' }, annotations: { a: 'b' }, finalizers: ['f/x'] };
    const before = clone(set);
    const pod = newStatefulPod(set, 0, 'r');
    assert.deepEqual(pod.metadata.annotations, { a: 'b' });
    assert.deepEqual(pod.metadata.finalizers, ['f/x']);
    pod.spec.containers[0]!.image = 'changed';
    pod.metadata.labels!.changed = 'yes';
    (pod.metadata.annotations as Record<string, string>).changed = 'yes';
    assert.deepEqual(set, before);
  });
  test('no serviceName: no subdomain (even if the template sets one)', () => {
    const set = makeSet(1, { serviceName: undefined });
    set.spec.template.spec.subdomain = 'x';
    assert.equal(newStatefulPod(set, 0, 'r').spec.subdomain, undefined);
  });
  test('no claim templates: only the template volumes', () => {
    const set = makeSet(1, { volumeClaimTemplates: undefined });
    assert.deepEqual(newStatefulPod(set, 0, 'r').spec.volumes, [{ name: 'home', hostPath: { path: '/tmp/home' } }]);
  });
  test('ordinals.start: the name carries the ordinal as given', () => {
    const set = makeSet(3, { ordinals: { start: 2 } });
    const pod = newStatefulPod(set, 4, 'r');
    assert.equal(pod.metadata.name, 'foo-4');
    assert.equal(pod.metadata.labels?.[LABEL_POD_INDEX], '4');
  });
  test('revisionOf a pod without labels is empty', () => {
    assert.equal(revisionOf({ metadata: { name: 'foo-0' }, spec: { containers: [] } }), '');
  });
});

describe('health predicates', () => {
  function pod(o: { phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'; ready?: 'True' | 'False'; readySince?: number | null; deleting?: boolean } = {}): Pod {
    const p: Pod = { metadata: { name: 'foo-0', namespace: 'default' }, spec: { containers: [{ name: 'c' }] } };
    if (o.phase) p.status = { phase: o.phase };
    if (o.ready) {
      p.status ??= {};
      const c: { type: string; status: string; lastTransitionTime?: string } = { type: 'Ready', status: o.ready };
      if (o.readySince !== null) c.lastTransitionTime = at(o.readySince ?? -3600);
      p.status.conditions = [{ type: 'PodScheduled', status: 'True' }, c];
    }
    if (o.deleting) p.metadata.deletionTimestamp = at(-1);
    return p;
  }

  // TestIsRunningAndReady
  const runningAndReady: { name: string; pod: Pod; want: boolean }[] = [
    { name: 'no phase', pod: pod(), want: false },
    { name: 'Running, no Ready condition', pod: pod({ phase: 'Running' }), want: false },
    { name: 'Running, Ready False', pod: pod({ phase: 'Running', ready: 'False' }), want: false },
    { name: 'Running and Ready', pod: pod({ phase: 'Running', ready: 'True' }), want: true },
    { name: 'Pending but Ready', pod: pod({ phase: 'Pending', ready: 'True' }), want: false },
    { name: 'Running, Ready and terminating', pod: pod({ phase: 'Running', ready: 'True', deleting: true }), want: true },
  ];
  for (const c of runningAndReady) {
    test(`isRunningAndReady: ${c.name}`, () => assert.equal(isRunningAndReady(c.pod), c.want));
  }

  const phases: { name: string; pod: Pod; created: boolean; pending: boolean; failed: boolean; succeeded: boolean }[] = [
    { name: 'no phase', pod: pod(), created: false, pending: false, failed: false, succeeded: false },
    { name: 'Pending', pod: pod({ phase: 'Pending' }), created: true, pending: true, failed: false, succeeded: false },
    { name: 'Running', pod: pod({ phase: 'Running' }), created: true, pending: false, failed: false, succeeded: false },
    { name: 'Failed', pod: pod({ phase: 'Failed' }), created: true, pending: false, failed: true, succeeded: false },
    { name: 'Succeeded', pod: pod({ phase: 'Succeeded' }), created: true, pending: false, failed: false, succeeded: true },
  ];
  for (const c of phases) {
    test(`phase predicates: ${c.name}`, () => {
      assert.equal(isCreated(c.pod), c.created);
      assert.equal(isPending(c.pod), c.pending);
      assert.equal(isFailed(c.pod), c.failed);
      assert.equal(isSucceeded(c.pod), c.succeeded);
    });
  }
  test('isTerminating: deletionTimestamp set', () => {
    assert.equal(isTerminating(pod({ phase: 'Running' })), false);
    assert.equal(isTerminating(pod({ phase: 'Running', deleting: true })), true);
  });

  // podutil.IsPodAvailable: Ready, and LastTransitionTime + minReadySeconds <= now (Compare <= 0).
  const availability: { name: string; pod: Pod; minReady: number; available: boolean; unavailable: boolean; at?: number }[] = [
    { name: 'not ready, minReady 0', pod: pod({ phase: 'Running' }), minReady: 0, available: false, unavailable: true },
    { name: 'ready, minReady 0', pod: pod({ phase: 'Running', ready: 'True', readySince: 0 }), minReady: 0, available: true, unavailable: false },
    // IsPodAvailable does not look at the phase (isRunningAndAvailable is only IsPodAvailable).
    { name: 'ready but Pending, minReady 0', pod: pod({ phase: 'Pending', ready: 'True' }), minReady: 0, available: true, unavailable: false },
    {
      name: 'ready for 2h, minReady 1h',
      pod: pod({ phase: 'Running', ready: 'True', readySince: -7200 }),
      minReady: 3600,
      available: true,
      unavailable: false,
    },
    {
      name: 'ready for 30m, minReady 1h',
      pod: pod({ phase: 'Running', ready: 'True', readySince: -1800 }),
      minReady: 3600,
      available: false,
      unavailable: true,
      at: NOW + 1800_000,
    },
    {
      name: 'ready for exactly minReady',
      pod: pod({ phase: 'Running', ready: 'True', readySince: -30 }),
      minReady: 30,
      available: true,
      unavailable: false,
    },
    {
      name: 'ready for minReady - 1s',
      pod: pod({ phase: 'Running', ready: 'True', readySince: -29 }),
      minReady: 30,
      available: false,
      unavailable: true,
      at: NOW + 1000,
    },
    {
      name: 'ready without a transition time, minReady > 0',
      pod: pod({ phase: 'Running', ready: 'True', readySince: null }),
      minReady: 30,
      available: false,
      unavailable: true,
    },
    {
      name: 'ready without a transition time, minReady 0',
      pod: pod({ phase: 'Running', ready: 'True', readySince: null }),
      minReady: 0,
      available: true,
      unavailable: false,
    },
    {
      name: 'available but terminating',
      pod: pod({ phase: 'Running', ready: 'True', deleting: true }),
      minReady: 0,
      available: true,
      unavailable: true,
    },
  ];
  for (const c of availability) {
    test(`isAvailable / isUnavailable / availableAt: ${c.name}`, () => {
      assert.equal(isAvailable(c.pod, c.minReady, NOW), c.available);
      assert.equal(isUnavailable(c.pod, c.minReady, NOW), c.unavailable);
      if (c.at !== undefined) assert.equal(availableAt(c.pod, c.minReady), c.at);
    });
  }
  test('availableAt: undefined when not ready or minReady 0', () => {
    assert.equal(availableAt(pod({ phase: 'Running' }), 30), undefined);
    assert.equal(availableAt(pod({ phase: 'Running', ready: 'True' }), 0), undefined);
    assert.equal(availableAt(pod({ phase: 'Running', ready: 'True', readySince: null }), 30), undefined);
  });
  test('isPodReady looks at the Ready condition only', () => {
    assert.equal(isPodReady(pod({ phase: 'Pending', ready: 'True' })), true);
    assert.equal(isPodReady(pod({ phase: 'Running', ready: 'False' })), false);
  });
});
