// Table tests for src/controllers/statefulset/claims.ts, ported from upstream
// pkg/controller/statefulset/stateful_set_utils_test.go (TestGetPersistentVolumeClaims,
// TestGetPersistentVolumeClaimRetentionPolicy, TestIsClaimOwnerUpToDate, TestClaimOwnerUpToDateEdgeCases,
// TestUpdateClaimOwnerRefForSetAndPod, TestUpdateClaimControllerRef, TestHasUnexpectedController,
// TestHasStaleOwnerRef) and stateful_pod_control_test.go (TestPodClaimIsStale). Upstream's set kind is
// apps/v1 StatefulSet; here it is apps.tentacle.dev/v1alpha1 StatefulSet.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { API_VERSION } from '../../../src/api/apps/types.ts';
import type { RetentionPolicyType, StatefulSet } from '../../../src/api/apps/types.ts';
import type { PersistentVolumeClaim, Pod } from '../../../src/api/core/types.ts';
import { POD } from '../../../src/api/core/types.ts';
import { STATEFULSET } from '../../../src/api/apps/types.ts';
import type { OwnerReference } from '../../../src/runtime/types.ts';
import {
  claimOwnerUpToDate,
  claimsFor,
  hasStaleOwnerRef,
  hasUnexpectedController,
  ownerRefsForPolicy,
  podClaimIsStale,
  retentionPolicy,
} from '../../../src/controllers/statefulset/claims.ts';

const SET_API = API_VERSION;

function makeSet(name: string, uid: string, replicas: number, whenScaled?: RetentionPolicyType, whenDeleted?: RetentionPolicyType): StatefulSet {
  const set: StatefulSet = {
    apiVersion: API_VERSION,
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default', uid },
    spec: {
      replicas,
      selector: { matchLabels: { foo: 'bar' } },
      template: { metadata: { labels: { foo: 'bar' } }, spec: { containers: [{ name: 'nginx' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'datadir' }, spec: { resources: { requests: { storage: '1' } } } }],
    },
  };
  if (whenScaled || whenDeleted) {
    set.spec.persistentVolumeClaimRetentionPolicy = {};
    if (whenScaled) set.spec.persistentVolumeClaimRetentionPolicy.whenScaled = whenScaled;
    if (whenDeleted) set.spec.persistentVolumeClaimRetentionPolicy.whenDeleted = whenDeleted;
  }
  return set;
}

function makePod(name: string, uid?: string): Pod {
  const pod: Pod = { metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'nginx' }] } };
  if (uid !== undefined) pod.metadata.uid = uid;
  return pod;
}

function makeClaim(refs: OwnerReference[] = [], name = 'target-claim'): PersistentVolumeClaim {
  return { metadata: { name, namespace: 'default', ownerReferences: refs }, spec: {} };
}

/** addControllerRef: a controller reference to the owner, unless one with its uid is there. */
function addControllerRef(refs: OwnerReference[], owner: { metadata: { name?: string; uid?: string } }, apiVersion: string, kind: string): OwnerReference[] {
  if (refs.some((r) => r.uid === owner.metadata.uid)) return refs;
  return [...refs, { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true }];
}
const podRef = (refs: OwnerReference[], pod: Pod) => addControllerRef(refs, pod, 'v1', 'Pod');
const setRef = (refs: OwnerReference[], set: StatefulSet) => addControllerRef(refs, set, SET_API, 'StatefulSet');

/** ownerRefsChanged from upstream's test: compares apiVersion/kind/name as multisets. */
function refKeys(refs: OwnerReference[]): string[] {
  return refs.map((r) => `${r.apiVersion}-${r.kind}-${r.name}`).sort();
}

describe('claimsFor (getPersistentVolumeClaims)', () => {
  const pod0 = 0;
  const cases: { name: string; matchLabels?: Record<string, string>; templateLabels?: Record<string, string>; want: Record<string, string> }[] = [
    { name: 'no selector labels, no template labels', want: {} },
    { name: 'selector labels only', matchLabels: { test: 'test' }, want: { test: 'test' } },
    { name: 'non-overlapping labels merge', matchLabels: { name: 'foo' }, templateLabels: { test: 'test' }, want: { test: 'test', name: 'foo' } },
    { name: 'overlapping labels: the selector wins', matchLabels: { test: 'foo' }, templateLabels: { test: 'test' }, want: { test: 'foo' } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const set = makeSet('foo', 'test', 1);
      set.spec.selector = c.matchLabels ? { matchLabels: c.matchLabels } : {};
      if (c.templateLabels) set.spec.volumeClaimTemplates![0]!.metadata.labels = c.templateLabels;
      const claims = claimsFor(set, pod0);
      assert.deepEqual([...claims.keys()], ['datadir']);
      const claim = claims.get('datadir')!;
      assert.equal(claim.metadata.name, 'datadir-foo-0');
      assert.equal(claim.metadata.namespace, 'default');
      assert.deepEqual(claim.metadata.labels, c.want);
      assert.deepEqual(claim.spec, { resources: { requests: { storage: '1' } } });
      assert.equal(claim.apiVersion, 'v1');
      assert.equal(claim.kind, 'PersistentVolumeClaim');
      assert.equal(claim.metadata.ownerReferences, undefined, 'claims are created without owners');
    });
  }
  test('several templates, annotations copied, spec not shared with the template', () => {
    const set = makeSet('web', 'u', 3);
    set.spec.volumeClaimTemplates = [
      { metadata: { name: 'data', annotations: { a: 'b' } }, spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } },
      { metadata: { name: 'logs' }, spec: { resources: { requests: { storage: '2Gi' } } } },
    ];
    const claims = claimsFor(set, 2);
    assert.deepEqual(
      [...claims.values()].map((c) => c.metadata.name),
      ['data-web-2', 'logs-web-2'],
    );
    assert.deepEqual(claims.get('data')!.metadata.annotations, { a: 'b' });
    claims.get('data')!.spec.resources!.requests!.storage = '9Gi';
    assert.equal(set.spec.volumeClaimTemplates[0]!.spec.resources!.requests!.storage, '1Gi');
  });
  test('no templates: no claims', () => {
    const set = makeSet('foo', 'u', 1);
    delete set.spec.volumeClaimTemplates;
    assert.equal(claimsFor(set, 0).size, 0);
  });
});

describe('retentionPolicy (getPersistentVolumeClaimRetentionPolicy)', () => {
  const cases: { name: string; set: StatefulSet; want: { whenDeleted: string; whenScaled: string } }[] = [
    { name: 'unset: Retain/Retain', set: makeSet('s', 'u', 1), want: { whenDeleted: 'Retain', whenScaled: 'Retain' } },
    { name: 'retain policy', set: makeSet('s', 'u', 1, 'Retain', 'Retain'), want: { whenDeleted: 'Retain', whenScaled: 'Retain' } },
    { name: 'scale-down policy', set: makeSet('s', 'u', 1, 'Delete', 'Retain'), want: { whenDeleted: 'Retain', whenScaled: 'Delete' } },
    { name: 'whenDeleted only', set: makeSet('s', 'u', 1, undefined, 'Delete'), want: { whenDeleted: 'Delete', whenScaled: 'Retain' } },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(retentionPolicy(c.set), c.want));
});

describe('claimOwnerUpToDate (TestIsClaimOwnerUpToDate)', () => {
  const cases: { name: string; whenScaled: RetentionPolicyType; whenDeleted: RetentionPolicyType; needsPodRef: boolean; needsSetRef: boolean; replicas: number; ordinal: number }[] = [
    { name: 'retain', whenScaled: 'Retain', whenDeleted: 'Retain', needsPodRef: false, needsSetRef: false, replicas: 0, ordinal: 0 },
    { name: 'on SS delete', whenScaled: 'Retain', whenDeleted: 'Delete', needsPodRef: false, needsSetRef: true, replicas: 0, ordinal: 0 },
    { name: 'on scaledown only, condemned', whenScaled: 'Delete', whenDeleted: 'Retain', needsPodRef: true, needsSetRef: false, replicas: 2, ordinal: 2 },
    { name: 'on scaledown only, remains', whenScaled: 'Delete', whenDeleted: 'Retain', needsPodRef: false, needsSetRef: false, replicas: 2, ordinal: 1 },
    { name: 'on both, condemned', whenScaled: 'Delete', whenDeleted: 'Delete', needsPodRef: true, needsSetRef: false, replicas: 2, ordinal: 2 },
    { name: 'on both, remains', whenScaled: 'Delete', whenDeleted: 'Delete', needsPodRef: false, needsSetRef: true, replicas: 2, ordinal: 1 },
  ];
  for (const c of cases) {
    for (const useOtherRefs of [false, true]) {
      for (const hasPodRef of [false, true]) {
        for (const hasSetRef of [false, true]) {
          const shouldMatch = hasPodRef === c.needsPodRef && hasSetRef === c.needsSetRef;
          test(`${c.name}: pod=${hasPodRef} set=${hasSetRef} others=${useOtherRefs} → ${shouldMatch}`, () => {
            const pod = makePod(`pod-${c.ordinal}`, 'pod-123');
            const set = makeSet('stateful-set', 'ss-456', c.replicas, c.whenScaled, c.whenDeleted);
            let refs: OwnerReference[] = [];
            if (hasPodRef) refs = podRef(refs, pod);
            if (hasSetRef) refs = setRef(refs, set);
            if (useOtherRefs) {
              refs = [
                ...refs,
                { name: 'rand1', apiVersion: 'v1', kind: 'Pod', uid: 'rand1-uid' },
                { name: 'rand2', apiVersion: 'v1', kind: 'Pod', uid: 'rand2-uid' },
              ];
            }
            assert.equal(claimOwnerUpToDate(makeClaim(refs), set, pod), shouldMatch);
          });
        }
      }
    }
  }
});

describe('claimOwnerUpToDate edge cases (TestClaimOwnerUpToDateEdgeCases)', () => {
  const both = { whenScaled: 'Delete', whenDeleted: 'Delete' } as const;
  const setOnly = { whenScaled: 'Retain', whenDeleted: 'Delete' } as const;
  const cases: { name: string; refs: OwnerReference[]; policy: { whenScaled: RetentionPolicyType; whenDeleted: RetentionPolicyType }; want: boolean }[] = [
    { name: 'normal controller, pod', refs: [{ name: 'pod-1', apiVersion: 'v1', kind: 'Pod', uid: 'pod-123', controller: true }], policy: both, want: true },
    { name: 'non-controller causes policy mismatch, pod', refs: [{ name: 'pod-1', apiVersion: 'v1', kind: 'Pod', uid: 'pod-123' }], policy: both, want: false },
    { name: 'stale controller does not affect policy, pod', refs: [{ name: 'pod-1', apiVersion: 'v1', kind: 'Pod', uid: 'pod-stale', controller: true }], policy: both, want: true },
    {
      name: 'unexpected controller causes policy mismatch, pod',
      refs: [
        { name: 'pod-1', apiVersion: 'v1', kind: 'Pod', uid: 'pod-123', controller: true },
        { name: 'Random', apiVersion: 'v1', kind: 'Pod', uid: 'random', controller: true },
      ],
      policy: both,
      want: false,
    },
    { name: 'normal controller, set', refs: [{ name: 'stateful-set', apiVersion: SET_API, kind: 'StatefulSet', uid: 'ss-456', controller: true }], policy: setOnly, want: true },
    { name: 'non-controller causes policy mismatch, set', refs: [{ name: 'stateful-set', apiVersion: 'appsv1', kind: 'StatefulSet', uid: 'ss-456' }], policy: setOnly, want: false },
    { name: 'stale controller ignored, set', refs: [{ name: 'stateful-set', apiVersion: SET_API, kind: 'StatefulSet', uid: 'set-stale', controller: true }], policy: setOnly, want: true },
    {
      name: 'unexpected controller causes policy mismatch, set',
      refs: [
        { name: 'stateful-set', apiVersion: SET_API, kind: 'StatefulSet', uid: 'ss-456', controller: true },
        { name: 'Random', apiVersion: SET_API, kind: 'StatefulSet', uid: 'random', controller: true },
      ],
      policy: setOnly,
      want: false,
    },
    // An unexpected controller and none of our refs: leave the claim alone.
    { name: 'only an unexpected controller', refs: [{ name: 'x', apiVersion: 'custom/v1', kind: 'Thing', uid: 'x', controller: true }], policy: both, want: true },
    // Our kind's ref with the set's name but an old uid: the garbage collector's turn.
    { name: 'stale set ref, retain policy', refs: [{ name: 'stateful-set', apiVersion: SET_API, kind: 'StatefulSet', uid: 'old' }], policy: { whenScaled: 'Retain', whenDeleted: 'Retain' }, want: true },
    // The apps/v1 kind is not ours: a ref to an apps/v1 StatefulSet of the same name is another owner.
    { name: 'apps/v1 StatefulSet of the same name is not us', refs: [{ name: 'stateful-set', apiVersion: 'apps/v1', kind: 'StatefulSet', uid: 'other', controller: true }], policy: setOnly, want: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = makePod('pod-1', 'pod-123');
      const set = makeSet('stateful-set', 'ss-456', 1, c.policy.whenScaled, c.policy.whenDeleted);
      assert.equal(claimOwnerUpToDate(makeClaim(c.refs), set, pod), c.want);
    });
  }
});

describe('ownerRefsForPolicy (TestUpdateClaimOwnerRefForSetAndPod)', () => {
  const cases: { name: string; whenScaled: RetentionPolicyType; whenDeleted: RetentionPolicyType; condemned: boolean; needsPodRef: boolean; needsSetRef: boolean; unexpectedController?: boolean }[] = [
    { name: 'retain', whenScaled: 'Retain', whenDeleted: 'Retain', condemned: false, needsPodRef: false, needsSetRef: false },
    { name: 'delete with set', whenScaled: 'Retain', whenDeleted: 'Delete', condemned: false, needsPodRef: false, needsSetRef: true },
    { name: 'delete with scaledown, not condemned', whenScaled: 'Delete', whenDeleted: 'Retain', condemned: false, needsPodRef: false, needsSetRef: false },
    { name: 'delete on scaledown, condemned', whenScaled: 'Delete', whenDeleted: 'Retain', condemned: true, needsPodRef: true, needsSetRef: false },
    { name: 'delete on both, not condemned', whenScaled: 'Delete', whenDeleted: 'Delete', condemned: false, needsPodRef: false, needsSetRef: true },
    { name: 'delete on both, condemned', whenScaled: 'Delete', whenDeleted: 'Delete', condemned: true, needsPodRef: true, needsSetRef: false },
    { name: 'unexpected controller', whenScaled: 'Delete', whenDeleted: 'Delete', condemned: true, needsPodRef: false, needsSetRef: false, unexpectedController: true },
  ];
  /** Whether the refs hold the owner's uid, as a controller. */
  const isController = (refs: OwnerReference[], uid: string) => refs.find((r) => r.uid === uid)?.controller === true;
  for (const c of cases) {
    for (let variation = 0; variation < 8; variation++) {
      const hasPodRef = (variation & 1) !== 0;
      const hasSetRef = (variation & 2) !== 0;
      const extraOwner = (variation & 4) !== 0;
      test(`${c.name}: pod=${hasPodRef} set=${hasSetRef} extra=${extraOwner}`, () => {
        const set = makeSet('ss', 'ss-123', 5, c.whenScaled, c.whenDeleted);
        const pod = makePod(c.condemned ? 'pod-8' : 'pod-1', 'pod-456');
        let refs: OwnerReference[] = [];
        if (hasPodRef) refs = podRef(refs, pod);
        if (hasSetRef) refs = setRef(refs, set);
        const extra: OwnerReference = { apiVersion: 'custom/v1', kind: 'random', name: 'random', uid: 'abc' };
        if (extraOwner) refs = [...refs, extra];
        if (c.unexpectedController) refs = [...refs, { apiVersion: 'custom/v1', kind: 'Unknown', name: 'unknown', uid: 'xyz', controller: true }];
        const claim = makeClaim(refs);
        const before = structuredClone(claim);
        const updated = ownerRefsForPolicy(claim, set, pod);
        assert.equal(isController(updated, 'pod-456'), c.needsPodRef, 'pod ref');
        assert.equal(isController(updated, 'ss-123'), c.needsSetRef, 'set ref');
        if (extraOwner) assert.ok(updated.some((r) => r.uid === 'abc'), 'other owners are kept');
        assert.deepEqual(claim, before, 'the claim is not mutated');
        // After the update the claim is up to date (unless another controller owns it).
        assert.equal(claimOwnerUpToDate(makeClaim(updated), set, pod), true);
      });
    }
  }
});

describe('ownerRefsForPolicy (TestUpdateClaimControllerRef)', () => {
  const sts = (o: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: SET_API, kind: 'StatefulSet', name: 'sts', uid: '123', ...o });
  const cases: { name: string; original: OwnerReference[]; expected: OwnerReference[] }[] = [
    {
      name: 'set correctly',
      original: [sts({ controller: true }), { apiVersion: 'someone', kind: 'Else', name: 'foo', uid: '' }],
      expected: [sts({ controller: true }), { apiVersion: 'someone', kind: 'Else', name: 'foo', uid: '' }],
    },
    { name: 'missing controller', original: [sts()], expected: [sts({ controller: true })] },
    {
      name: 'matching name but missing',
      original: [{ apiVersion: 'someone', kind: 'else', name: 'sts', uid: '456' }],
      expected: [{ apiVersion: 'someone', kind: 'else', name: 'sts', uid: '456' }, sts({ controller: true })],
    },
    { name: 'not present', original: [], expected: [sts({ controller: true })] },
    // The missing uid is an unexpected stale reference: scrubbed, and nothing added.
    { name: 'controller, but no UID', original: [sts({ uid: '', controller: true })], expected: [] },
    { name: 'neither controller nor UID', original: [sts({ uid: '' })], expected: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const set = makeSet('sts', '123', 1, 'Delete', 'Delete');
      const pod = makePod('pod-0', '456');
      const updated = ownerRefsForPolicy(makeClaim(c.original), set, pod);
      assert.deepEqual(refKeys(updated), refKeys(c.expected));
      for (const want of c.expected.filter((r) => r.controller)) {
        const got = updated.find((r) => r.uid === want.uid);
        assert.equal(got?.controller, true);
        assert.equal(got?.blockOwnerDeletion, true);
      }
    });
  }
});

describe('hasUnexpectedController (TestHasUnexpectedController)', () => {
  const cases: { name: string; refs: OwnerReference[]; want: boolean }[] = [
    { name: 'custom controller', refs: [{ apiVersion: 'chipmunks/v1', kind: 'CustomController', name: 'simon', uid: 'other-uid', controller: true }], want: true },
    { name: 'custom non-controller', refs: [{ apiVersion: 'chipmunks/v1', kind: 'CustomController', name: 'simon', uid: 'other-uid', controller: false }], want: false },
    { name: 'custom unspecified controller', refs: [{ apiVersion: 'chipmunks/v1', kind: 'CustomController', name: 'simon', uid: 'other-uid' }], want: false },
    { name: 'other pod controller', refs: [{ apiVersion: 'v1', kind: 'Pod', name: 'simon', uid: 'other-uid', controller: true }], want: true },
    { name: 'other set controller', refs: [{ apiVersion: SET_API, kind: 'Set', name: 'simon', uid: 'other-uid', controller: true }], want: true },
    { name: 'own set controller', refs: [{ apiVersion: SET_API, kind: 'StatefulSet', name: 'set', uid: 'set-uid', controller: true }], want: false },
    { name: 'own set controller, stale uid', refs: [{ apiVersion: SET_API, kind: 'StatefulSet', name: 'set', uid: 'stale-uid', controller: true }], want: true },
    { name: 'own pod controller', refs: [{ apiVersion: 'v1', kind: 'Pod', name: 'pod', uid: 'pod-uid', controller: true }], want: false },
    { name: 'own pod controller, stale uid', refs: [{ apiVersion: 'v1', kind: 'Pod', name: 'pod', uid: 'stale-uid', controller: true }], want: true },
    {
      name: 'own controller and another',
      refs: [
        { apiVersion: 'v1', kind: 'Pod', name: 'pod', uid: 'pod-uid', controller: true },
        { apiVersion: 'chipmunks/v1', kind: 'CustomController', name: 'simon', uid: 'other-uid', controller: true },
      ],
      want: true,
    },
    {
      name: 'own controller and a non-controller',
      refs: [
        { apiVersion: 'v1', kind: 'Pod', name: 'pod', uid: 'pod-uid', controller: true },
        { apiVersion: 'chipmunks/v1', kind: 'CustomController', name: 'simon', uid: 'other-uid', controller: false },
      ],
      want: false,
    },
  ];
  const policies: [RetentionPolicyType, RetentionPolicyType][] = [
    ['Delete', 'Retain'],
    ['Retain', 'Delete'],
    ['Delete', 'Delete'],
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = makePod('pod', 'pod-uid');
      const claim = makeClaim(c.refs);
      assert.equal(hasUnexpectedController(claim, makeSet('set', 'set-uid', 1), pod), false, 'no policy (retain): any controller is fine');
      assert.equal(hasUnexpectedController(claim, makeSet('set', 'set-uid', 1, 'Retain', 'Retain'), pod), false, 'Retain/Retain');
      for (const [whenScaled, whenDeleted] of policies) {
        assert.equal(hasUnexpectedController(claim, makeSet('set', 'set-uid', 1, whenScaled, whenDeleted), pod), c.want, `${whenScaled}/${whenDeleted}`);
      }
    });
  }
});

describe('hasStaleOwnerRef (TestHasStaleOwnerRef)', () => {
  const claim = makeClaim([
    { name: 'bob', uid: '123', apiVersion: 'v1', kind: 'Pod' },
    { name: 'shirley', uid: '456', apiVersion: 'v1', kind: 'Pod' },
  ]);
  const cases: { name: string; owner: Pod; want: boolean }[] = [
    { name: 'same name and uid', owner: makePod('bob', '123'), want: false },
    { name: 'same name, other uid', owner: makePod('shirley', '789'), want: true },
    { name: 'no ref', owner: makePod('yvonne', '345'), want: false },
    { name: 'same name, owner without uid', owner: makePod('bob'), want: true },
  ];
  for (const c of cases) test(c.name, () => assert.equal(hasStaleOwnerRef(claim, c.owner, POD), c.want));
  test('kind must match', () => {
    assert.equal(hasStaleOwnerRef(claim, { metadata: { name: 'bob', uid: 'x' } }, STATEFULSET), false);
  });
});

describe('podClaimIsStale (TestPodClaimIsStale)', () => {
  type State = 'missing' | 'exists' | 'stale' | 'with-ref';
  const cases: { name: string; states: State[]; want: boolean; skipPodUID?: boolean }[] = [
    { name: 'all missing', states: ['missing', 'missing'], want: false },
    { name: 'no claims', states: [], want: false },
    { name: 'exists', states: ['missing', 'exists'], want: false },
    { name: 'all refs', states: ['with-ref', 'with-ref'], want: false },
    { name: 'stale & exists', states: ['stale', 'exists'], want: true },
    { name: 'stale & missing', states: ['stale', 'missing'], want: true },
    { name: 'withRef & stale', states: ['with-ref', 'stale'], want: true },
    { name: 'withRef, no UID', states: ['with-ref'], skipPodUID: true, want: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const set = makeSet('set', 'set-uid', 1, 'Delete', 'Retain');
      set.spec.selector = { matchLabels: { key: 'value' } };
      set.spec.volumeClaimTemplates = [];
      const existing = new Map<string, PersistentVolumeClaim>();
      c.states.forEach((state, i) => {
        set.spec.volumeClaimTemplates!.push({ metadata: { name: `claim-${i}` }, spec: {} });
        const name = `claim-${i}-set-3`;
        if (state === 'exists') existing.set(name, makeClaim([], name));
        if (state === 'stale') existing.set(name, makeClaim([{ name: 'set-3', uid: 'stale', apiVersion: 'v1', kind: 'Pod' }], name));
        if (state === 'with-ref') existing.set(name, makeClaim([{ name: 'set-3', uid: '123', apiVersion: 'v1', kind: 'Pod' }], name));
      });
      const pod = makePod('set-3', c.skipPodUID ? undefined : '123');
      assert.equal(
        podClaimIsStale(set, pod, (n) => existing.get(n)),
        c.want,
      );
      // whenScaled Retain: claims are meant to be reused, never stale.
      set.spec.persistentVolumeClaimRetentionPolicy = { whenScaled: 'Retain', whenDeleted: 'Delete' };
      assert.equal(
        podClaimIsStale(set, pod, (n) => existing.get(n)),
        false,
      );
    });
  }
});
