// Table and scenario tests for decideStatefulSet, ported from upstream
// pkg/controller/statefulset/stateful_set_control_test.go (TestStatefulSetControl: CreatePods, ScalesUp,
// ScalesDown, ReplacesPods, RecreatesFailedPod, RecreatesSucceededPod, RecreatesPVCForPendingPod;
// TestStatefulSetControlWithStartOrdinal, TestStatefulSetControlRollingUpdate, …OnDeleteUpdate,
// …RollingUpdateWithPartition, …RollingUpdateWithMaxUnavailable(+VerifyInvariant), …LimitsHistory,
// …Rollback, TestStatefulSetAvailability, the MinReadySeconds tests), stateful_set_test.go
// (TestStaleOwnerRefOnScaleup) and stateful_set_utils_test.go (TestGetStatefulSetMaxUnavailable).
//
// decideStatefulSet is one round of upstream's UpdateStatefulSet. Upstream's multi-step scenarios are
// replayed with a small in-memory cluster: each round computes the revisions as upstream's
// getStatefulSetRevisions does, decides, applies the actions (phases in order) to the pod and claim maps,
// stores the status, and truncates history; "kubelet" helpers then move pods to Running / Ready, and
// finish graceful deletions.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { API_VERSION, LABEL_POD_INDEX, LABEL_POD_NAME } from '../../../src/api/apps/types.ts';
import type { RetentionPolicyType, StatefulSet, StatefulSetSpec } from '../../../src/api/apps/types.ts';
import type { ControllerRevision, PersistentVolumeClaim, Pod, StorageClass } from '../../../src/api/core/types.ts';
import { decideStatefulSet, MAX_MISSING_PER_SYNC, maxUnavailableOf, versionedPod } from '../../../src/controllers/statefulset/decide.ts';
import type { StatefulSetAction, StatefulSetDecision, StatefulSetObservation } from '../../../src/controllers/statefulset/decide.ts';
import { ordinalOf, revisionOf } from '../../../src/controllers/statefulset/identity.ts';
import {
  applyRevision,
  currentRevisionOf,
  planUpdateRevision,
  revisionsToTruncate,
  sortRevisions,
} from '../../../src/controllers/statefulset/revisions.ts';
import { mutableCopy, type ReadonlyDeep } from '../../../src/runtime/types.ts';
import { rfc3339 } from '../../../src/runtime/util/time.ts';

import { makeSet } from './fixtures.ts';

const NOW = Date.parse('2026-01-01T01:00:00Z');

// ---------------------------------------------------------------------------------------------------
// Fixtures


const burst = (set: StatefulSet): StatefulSet => ({ ...set, spec: { ...set.spec, podManagementPolicy: 'Parallel' } });

// ---------------------------------------------------------------------------------------------------
// The simulator

interface Sim {
  set: StatefulSet;
  pods: Map<string, Pod>;
  claims: Map<string, PersistentVolumeClaim>;
  revisions: ReadonlyDeep<ControllerRevision>[];
  classes: Map<string, StorageClass>;
  now: number;
  seq: number;
  /** Pod creations so far (upstream's createPodTracker.requests). */
  creates: number;
  /** Pod deletions so far (upstream's deletePodTracker.requests). */
  deletes: number;
  /** Remove claims whose controller is a pod that is gone (the garbage collector). */
  gc: boolean;
}

function newSim(set: StatefulSet, o: { gc?: boolean } = {}): Sim {
  return {
    set: structuredClone(set),
    pods: new Map(),
    claims: new Map(),
    revisions: [],
    classes: new Map(),
    now: NOW,
    seq: 0,
    creates: 0,
    deletes: 0,
    gc: o.gc ?? false,
  };
}

const at = (sim: Sim, s: number): string => rfc3339(sim.now + s * 1000);

/** The observation, with the revisions as upstream's getStatefulSetRevisions leaves them. */
function observe(sim: Sim): StatefulSetObservation {
  const sorted = sortRevisions(sim.revisions);
  const plan = planUpdateRevision(sim.set, sorted);
  let update: ReadonlyDeep<ControllerRevision>;
  if (plan.type === 'existing') update = plan.revision;
  else if (plan.type === 'renumber') {
    update = { ...plan.revision, revision: plan.to };
    sim.revisions = sim.revisions.map((r) => (r.metadata.name === update.metadata.name ? update : r));
  } else {
    update = { ...plan.revision, metadata: { ...plan.revision.metadata, uid: `rev-${++sim.seq}`, creationTimestamp: at(sim, 0) } };
    sim.revisions.push(update);
  }
  const current = currentRevisionOf(sim.set, sorted, update);
  return {
    set: sim.set,
    pods: [...sim.pods.values()].map((p) => structuredClone(p)),
    claim: (name) => sim.claims.get(name),
    claims: () => [...sim.claims.values()],
    storageClass: (name) => sim.classes.get(name),
    currentSet: applyRevision(sim.set, current),
    updateSet: applyRevision(sim.set, update),
    currentRevision: current.metadata.name!,
    updateRevision: update.metadata.name!,
    collisionCount: sim.set.status?.collisionCount ?? 0,
    now: sim.now,
  };
}

function createClaim(sim: Sim, wanted: ReadonlyDeep<PersistentVolumeClaim>): void {
  const claim = mutableCopy<PersistentVolumeClaim>(wanted);
  assert.equal(sim.claims.has(claim.metadata.name!), false, `claim ${claim.metadata.name} already exists`);
  sim.claims.set(claim.metadata.name!, {
    ...claim,
    metadata: { ...claim.metadata, uid: `claim-${++sim.seq}` },
    status: { phase: 'Pending' },
  });
}

/** What the reconciler would do with the decision: phases in order, then resizes. */
function apply(sim: Sim, d: StatefulSetDecision): void {
  for (const action of [...d.phases.flat(), ...d.resizes]) {
    switch (action.type) {
      case 'createPod': {
        for (const claim of action.claims) createClaim(sim, claim);
        const name = action.pod.metadata.name!;
        assert.equal(sim.pods.has(name), false, `pod ${name} already exists`);
        sim.creates++;
        const created = mutableCopy<Pod>(action.pod);
        sim.pods.set(name, {
          ...created,
          metadata: { ...created.metadata, uid: `pod-${++sim.seq}`, creationTimestamp: at(sim, 0) },
          // The API server sets the phase on creation.
          status: { phase: 'Pending' },
        });
        break;
      }
      case 'createClaims':
        for (const claim of action.claims) createClaim(sim, claim);
        break;
      case 'deletePod': {
        const pod = sim.pods.get(action.pod.metadata.name!);
        assert.ok(pod, `pod ${action.pod.metadata.name} to delete exists`);
        assert.equal(pod.metadata.deletionTimestamp, undefined, 'a terminating pod is not deleted again');
        sim.deletes++;
        pod.metadata.deletionTimestamp = at(sim, 0);
        break;
      }
      case 'updatePod': {
        const pod = sim.pods.get(action.pod.metadata.name!);
        assert.ok(pod, `pod ${action.pod.metadata.name} to update exists`);
        sim.pods.set(pod.metadata.name!, { ...mutableCopy<Pod>(action.pod), status: pod.status! });
        break;
      }
      case 'updateClaim':
        assert.ok(sim.claims.has(action.claim.metadata.name!));
        sim.claims.set(action.claim.metadata.name!, mutableCopy<PersistentVolumeClaim>(action.claim));
        break;
      case 'resizeClaim': {
        const claim = sim.claims.get(action.claim.metadata.name!)!;
        claim.spec.resources = { ...claim.spec.resources, requests: { ...claim.spec.resources?.requests, storage: action.storage } };
        break;
      }
    }
  }
}

/** One reconcile: decide, apply, store the status, truncate the history. */
function round(sim: Sim): StatefulSetDecision {
  const obs = observe(sim);
  const d = decideStatefulSet(obs);
  apply(sim, d);
  sim.set = { ...sim.set, status: d.status };
  const live = new Set([obs.currentRevision, obs.updateRevision, ...obs.pods.map(revisionOf)]);
  const doomed = new Set(revisionsToTruncate(sortRevisions(sim.revisions), live, sim.set.spec.revisionHistoryLimit ?? 10).map((r) => r.metadata.name));
  sim.revisions = sim.revisions.filter((r) => !doomed.has(r.metadata.name));
  return d;
}

// Kubelet and API server.
function setPhase(sim: Sim, name: string, phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed'): void {
  const pod = sim.pods.get(name)!;
  pod.status = { ...pod.status, phase };
  if (phase !== 'Running') pod.status.conditions = [{ type: 'Ready', status: 'False', lastTransitionTime: at(sim, 0) }];
}
function setReady(sim: Sim, name: string, sinceSeconds = 0): void {
  const pod = sim.pods.get(name)!;
  pod.status = { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at(sim, sinceSeconds) }] };
}
function setUnready(sim: Sim, name: string): void {
  const pod = sim.pods.get(name)!;
  pod.status = { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at(sim, 0) }] };
}
/** Every live pod that is not Ready becomes Running and Ready (since an hour ago: available under any minReadySeconds used here). */
function readyAll(sim: Sim): void {
  for (const pod of sim.pods.values()) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded' && !ready) setReady(sim, pod.metadata.name!, -3600);
  }
}
/** Graceful deletions complete; with gc, claims controlled by a removed pod go too. */
function finishTerminations(sim: Sim): void {
  for (const [name, pod] of sim.pods) {
    if (!pod.metadata.deletionTimestamp) continue;
    sim.pods.delete(name);
    if (!sim.gc) continue;
    for (const [claimName, claim] of sim.claims) {
      if (claim.metadata.ownerReferences?.some((r) => r.controller && r.uid === pod.metadata.uid)) sim.claims.delete(claimName);
    }
  }
}

/** Upstream's scaleUp/scaleDown/updateStatefulSetControl loops: reconcile, then let the cluster catch up. */
function converge(sim: Sim, maxRounds = 100): void {
  let quiet = 0;
  for (let i = 0; i < maxRounds; i++) {
    const d = round(sim);
    finishTerminations(sim);
    readyAll(sim);
    quiet = d.phases.length === 0 ? quiet + 1 : 0;
    if (quiet === 2) return;
  }
  assert.fail(`no convergence in ${maxRounds} rounds`);
}

function describeAction(a: StatefulSetAction): string {
  switch (a.type) {
    case 'createPod':
      return `create ${a.pod.metadata.name}`;
    case 'createClaims':
      return `claims ${a.pod.metadata.name} ${a.claims.map((c) => c.metadata.name).join(',')}`;
    case 'deletePod':
      return `delete ${a.pod.metadata.name} ${a.reason}`;
    case 'updatePod':
      return `update ${a.pod.metadata.name}`;
    case 'updateClaim':
      return `own ${a.claim.metadata.name}`;
    case 'resizeClaim':
      return `resize ${a.claim.metadata.name} ${a.storage}`;
  }
}
const steps = (d: StatefulSetDecision): string[][] => d.phases.map((p) => p.map(describeAction));
const podNames = (sim: Sim): string[] => [...sim.pods.keys()].sort((a, b) => ordinalOf({ metadata: { name: a } } as Pod) - ordinalOf({ metadata: { name: b } } as Pod));
const imageOf = (sim: Sim, name: string): string | undefined => sim.pods.get(name)?.spec.containers[0]?.image;
const images = (sim: Sim): string[] => podNames(sim).map((n) => imageOf(sim, n) ?? '');
const setImage = (sim: Sim, image: string): void => {
  sim.set = structuredClone(sim.set);
  sim.set.spec.template.spec.containers[0]!.image = image;
};
const setReplicas = (sim: Sim, replicas: number): void => {
  sim.set = { ...sim.set, spec: { ...sim.set.spec, replicas } };
};

// ---------------------------------------------------------------------------------------------------

describe('maxUnavailableOf (TestGetStatefulSetMaxUnavailable)', () => {
  const cases: { value: number | string | undefined; replicas: number; want: number }[] = [
    { value: undefined, replicas: 10, want: 1 },
    { value: 3, replicas: 10, want: 3 },
    { value: 3, replicas: 0, want: 3 },
    { value: 0, replicas: 0, want: 1 },
    { value: '10%', replicas: 25, want: 2 },
    { value: '100%', replicas: 5, want: 5 },
    { value: '50%', replicas: 5, want: 2 },
    { value: '10%', replicas: 5, want: 1 },
    { value: '1%', replicas: 0, want: 1 },
    { value: '0%', replicas: 0, want: 1 },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.value)} of ${c.replicas} → ${c.want}`, () => assert.equal(maxUnavailableOf(c.value, c.replicas), c.want));
  }
  test('not an integer or percentage: an error', () => {
    assert.throws(() => maxUnavailableOf('two', 5), /invalid maxUnavailable/);
    assert.throws(() => maxUnavailableOf('5', 5), /invalid maxUnavailable/);
  });
});

describe('initial status', () => {
  test('first round of a new set: revisions, observedGeneration, selector, one create', () => {
    const sim = newSim(makeSet(3));
    sim.set.metadata.generation = 4;
    const d = round(sim);
    assert.equal(sim.revisions.length, 1);
    const rev = sim.revisions[0]!.metadata.name!;
    assert.deepEqual(d.status, {
      observedGeneration: 4,
      replicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      currentRevision: rev,
      updateRevision: rev,
      collisionCount: 0,
      selector: 'foo=bar',
      volumeClaimTemplates: [{ templateName: 'datadir', storage: '1', claims: 0, updatedClaims: 0, resizedClaims: 0 }],
    });
    assert.deepEqual(steps(d), [['create foo-0']]);
    assert.deepEqual(d.events, []);
    assert.deepEqual(d.resizes, []);
    assert.equal(d.requeueAfterMs, undefined);
  });
  test('conditions and collisionCount are carried over', () => {
    const set = makeSet(1);
    set.status = { replicas: 0, collisionCount: 3, conditions: [{ type: 'X', status: 'True' }] };
    const d = round(newSim(set));
    assert.equal(d.status.collisionCount, 3);
    assert.deepEqual(d.status.conditions, [{ type: 'X', status: 'True' }]);
  });
});

describe('CreatePods / ScalesUp / ScalesDown', () => {
  test('OrderedReady: one pod at a time, each waiting for its predecessor to be Running and Ready', () => {
    const sim = newSim(makeSet(3));
    let d = round(sim);
    assert.deepEqual(steps(d), [['create foo-0']]);
    const create = d.phases[0]![0]!;
    assert.equal(create.type, 'createPod');
    assert.deepEqual(
      create.type === 'createPod' && create.claims.map((c) => c.metadata.name),
      ['datadir-foo-0'],
      'the claims come with the pod',
    );
    assert.deepEqual(steps(round(sim)), [], 'pod 0 Pending: nothing');
    setPhase(sim, 'foo-0', 'Running');
    assert.deepEqual(steps(round(sim)), [], 'pod 0 Running but not Ready: nothing');
    setReady(sim, 'foo-0');
    assert.deepEqual(steps(round(sim)), [['create foo-1']]);
    assert.deepEqual(steps(round(sim)), []);
    setReady(sim, 'foo-1');
    d = round(sim);
    assert.deepEqual(steps(d), [['create foo-2']]);
    assert.equal(d.status.replicas, 2);
    assert.equal(d.status.readyReplicas, 2);
    setReady(sim, 'foo-2');
    d = round(sim);
    assert.deepEqual(steps(d), []);
    assert.equal(d.status.replicas, 3);
    assert.equal(d.status.readyReplicas, 3);
    assert.equal(d.status.availableReplicas, 3);
    assert.equal(d.status.updatedReplicas, 3);
    assert.equal(d.status.currentReplicas, 3);
    for (const name of podNames(sim)) {
      const pod = sim.pods.get(name)!;
      assert.equal(pod.metadata.labels?.[LABEL_POD_INDEX], String(ordinalOf(pod)), 'pod index label matches the name');
      assert.equal(pod.metadata.labels?.[LABEL_POD_NAME], name);
    }
    assert.deepEqual([...sim.claims.keys()].sort(), ['datadir-foo-0', 'datadir-foo-1', 'datadir-foo-2']);
  });

  test('Parallel: all pods in one phase, without waiting', () => {
    const sim = newSim(burst(makeSet(3)));
    assert.deepEqual(steps(round(sim)), [['create foo-0', 'create foo-1', 'create foo-2']]);
    assert.deepEqual(steps(round(sim)), []);
    converge(sim);
    assert.equal(sim.set.status?.readyReplicas, 3);
  });

  for (const policy of ['OrderedReady', 'Parallel'] as const) {
    test(`${policy}: ScalesUp 3 → 4`, () => {
      const sim = newSim(makeSet(3, { podManagementPolicy: policy }));
      converge(sim);
      setReplicas(sim, 4);
      converge(sim);
      assert.deepEqual(podNames(sim), ['foo-0', 'foo-1', 'foo-2', 'foo-3']);
      assert.equal(sim.set.status?.replicas, 4);
      assert.equal(sim.set.status?.readyReplicas, 4);
      assert.equal(sim.set.status?.updatedReplicas, 4);
    });
  }

  test('OrderedReady: ScalesDown deletes the highest ordinal and waits for it to be gone', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setReplicas(sim, 0);
    assert.deepEqual(steps(round(sim)), [['delete foo-2 ScaleDown']]);
    assert.deepEqual(steps(round(sim)), [], 'foo-2 terminating: wait');
    finishTerminations(sim);
    assert.deepEqual(steps(round(sim)), [['delete foo-1 ScaleDown']]);
    finishTerminations(sim);
    assert.deepEqual(steps(round(sim)), [['delete foo-0 ScaleDown']]);
    finishTerminations(sim);
    const d = round(sim);
    assert.deepEqual(steps(d), []);
    assert.equal(d.status.replicas, 0);
    assert.equal(d.status.readyReplicas, 0);
    assert.equal(d.status.updatedReplicas, 0);
    assert.equal(sim.claims.size, 3, 'Retain: claims stay');
  });

  test('Parallel: ScalesDown deletes every condemned pod at once', () => {
    const sim = newSim(burst(makeSet(3)));
    converge(sim);
    setReplicas(sim, 0);
    assert.deepEqual(steps(round(sim)), [['delete foo-2 ScaleDown', 'delete foo-1 ScaleDown', 'delete foo-0 ScaleDown']]);
    assert.deepEqual(steps(round(sim)), [], 'terminating pods are not deleted again');
    finishTerminations(sim);
    assert.equal(round(sim).status.replicas, 0);
  });

  test('terminating pods count in replicas but not in current / updated', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setReplicas(sim, 2);
    round(sim);
    const d = round(sim);
    assert.equal(d.status.replicas, 3);
    assert.equal(d.status.currentReplicas, 2);
    assert.equal(d.status.updatedReplicas, 2);
  });

  test('CreatesPodsWithStartOrdinal: ordinals.start 2 → pods 2, 3, 4', () => {
    const sim = newSim(makeSet(3, { ordinals: { start: 2 } }));
    converge(sim);
    assert.deepEqual(podNames(sim), ['foo-2', 'foo-3', 'foo-4']);
    assert.equal(sim.set.status?.readyReplicas, 3);
  });

  test('start ordinal moved up: pods below the range are condemned, highest first', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    sim.set = { ...sim.set, spec: { ...sim.set.spec, ordinals: { start: 1 } } };
    // 1, 2 stay; 3 is created first (replicas in range before condemned pods), then 0 goes.
    assert.deepEqual(steps(round(sim)), [['create foo-3']]);
    readyAll(sim);
    assert.deepEqual(steps(round(sim)), [['delete foo-0 ScaleDown']]);
  });
});

describe('health gates (monotonic)', () => {
  test('an unready replica halts creation', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setUnready(sim, 'foo-1');
    setReplicas(sim, 4);
    assert.deepEqual(steps(round(sim)), []);
    setReady(sim, 'foo-1');
    assert.deepEqual(steps(round(sim)), [['create foo-3']]);
  });

  test('an unready replica halts scale down', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setUnready(sim, 'foo-0');
    setReplicas(sim, 2);
    assert.deepEqual(steps(round(sim)), []);
  });

  test('Parallel ignores unready replicas', () => {
    const sim = newSim(burst(makeSet(3)));
    converge(sim);
    setUnready(sim, 'foo-0');
    setReplicas(sim, 4);
    assert.deepEqual(steps(round(sim)), [['create foo-3']]);
    setReplicas(sim, 2);
    assert.deepEqual(steps(round(sim)), [['delete foo-3 ScaleDown', 'delete foo-2 ScaleDown']]);
  });

  // Scale 3 → 1; which condemned pods (foo-2, foo-1) are unready, and what goes this round.
  const condemnedCases: { name: string; unready: string[]; want: string[][] }[] = [
    { name: 'all ready: highest first', unready: [], want: [['delete foo-2 ScaleDown']] },
    { name: 'the highest is the first unhealthy: it goes', unready: ['foo-2'], want: [['delete foo-2 ScaleDown']] },
    { name: 'a lower one unhealthy, the highest ready: the highest goes', unready: ['foo-1'], want: [['delete foo-2 ScaleDown']] },
    { name: 'both unhealthy: the first unhealthy is foo-1, so foo-2 blocks', unready: ['foo-1', 'foo-2'], want: [] },
  ];
  for (const c of condemnedCases) {
    test(`condemned: ${c.name}`, () => {
      const sim = newSim(makeSet(3));
      converge(sim);
      for (const name of c.unready) setUnready(sim, name);
      setReplicas(sim, 1);
      assert.deepEqual(steps(round(sim)), c.want);
    });
  }

  test('condemned: once foo-2 is gone, the unready foo-1 is the first unhealthy pod and goes', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setUnready(sim, 'foo-1');
    setReplicas(sim, 1);
    assert.deepEqual(steps(round(sim)), [['delete foo-2 ScaleDown']]);
    finishTerminations(sim);
    assert.deepEqual(steps(round(sim)), [['delete foo-1 ScaleDown']]);
  });
});

describe('ReplacesPods / RecreatesFailedPod / RecreatesSucceededPod / RecreatesPVCForPendingPod', () => {
  test('ReplacesPods: deleted pods come back in ordinal order, one at a time', () => {
    const sim = newSim(makeSet(5));
    converge(sim);
    for (const name of ['foo-0', 'foo-2', 'foo-4']) sim.pods.delete(name);
    const d = round(sim);
    assert.deepEqual(steps(d), [['create foo-0']]);
    assert.deepEqual(d.phases[0]![0]!.type === 'createPod' && d.phases[0]![0]!.claims, [], 'the claim still exists');
    setReady(sim, 'foo-0');
    assert.deepEqual(steps(round(sim)), [['create foo-2']]);
    setReady(sim, 'foo-2');
    assert.deepEqual(steps(round(sim)), [['create foo-4']]);
    setReady(sim, 'foo-4');
    assert.equal(round(sim).status.replicas, 5);
    for (const claim of sim.claims.values()) assert.deepEqual(claim.metadata.ownerReferences, undefined, 'Retain: claims have no owners');
  });

  for (const phase of ['Failed', 'Succeeded'] as const) {
    for (const policy of ['OrderedReady', 'Parallel'] as const) {
      test(`${policy}: a ${phase} pod is deleted, then recreated with the same name on a later round`, () => {
        const sim = newSim(makeSet(3, { podManagementPolicy: policy }));
        round(sim);
        if (policy === 'OrderedReady') {
          converge(sim);
          for (const name of podNames(sim)) setPhase(sim, name, 'Pending');
        }
        assert.equal(sim.creates, 3);
        setPhase(sim, 'foo-0', phase);
        const oldUid = sim.pods.get('foo-0')!.metadata.uid;
        let d = round(sim);
        assert.deepEqual(steps(d)[0], [`delete foo-0 ${phase}`]);
        assert.equal(sim.deletes, 1);
        d = round(sim);
        assert.equal(sim.deletes, 1, 'no second delete of a terminating pod');
        assert.equal(steps(d).flat().some((s) => s.startsWith('create')), false, 'no replacement while the old pod exists');
        finishTerminations(sim);
        d = round(sim);
        assert.deepEqual(steps(d)[0], ['create foo-0']);
        assert.equal(sim.deletes, 1);
        assert.notEqual(sim.pods.get('foo-0')!.metadata.uid, oldUid);
        assert.equal(sim.creates, 4);
      });
    }
  }

  test('OrderedReady: a failed pod blocks the pods after it', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setPhase(sim, 'foo-1', 'Failed');
    setUnready(sim, 'foo-2');
    setReplicas(sim, 4);
    assert.deepEqual(steps(round(sim)), [['delete foo-1 Failed']]);
  });

  test('RecreatesPVCForPendingPod: a Pending pod gets its missing claims', () => {
    const sim = newSim(makeSet(3));
    round(sim);
    sim.claims.clear();
    const d = round(sim);
    assert.deepEqual(steps(d), [['claims foo-0 datadir-foo-0']]);
    assert.equal(sim.claims.has('datadir-foo-0'), true);
    assert.deepEqual(steps(round(sim)), [], 'nothing more while the pod is Pending');
  });
});

describe('claims', () => {
  test('createPod carries only the missing claims', () => {
    const set = makeSet(1, {
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } },
        { metadata: { name: 'logs' }, spec: { resources: { requests: { storage: '1Gi' } } } },
      ],
    });
    const sim = newSim(set);
    sim.claims.set('data-foo-0', { metadata: { name: 'data-foo-0', namespace: 'default' }, spec: {} });
    const d = round(sim);
    const create = d.phases[0]![0]!;
    assert.equal(create.type, 'createPod');
    assert.deepEqual(create.type === 'createPod' && create.claims.map((c) => c.metadata.name), ['logs-foo-0']);
    assert.deepEqual(create.type === 'createPod' && create.claims[0]!.metadata.labels, { foo: 'bar' });
  });

  test('a claim being deleted blocks the pod with a Warning event (OrderedReady stops there)', () => {
    const sim = newSim(makeSet(2));
    sim.claims.set('datadir-foo-0', { metadata: { name: 'datadir-foo-0', namespace: 'default', deletionTimestamp: at(sim, -1) }, spec: {} });
    const d = round(sim);
    assert.deepEqual(steps(d), []);
    assert.deepEqual(d.events, [
      {
        type: 'Warning',
        reason: 'FailedCreate',
        message: 'Create Pod foo-0 in StatefulSet foo failed error: pvc datadir-foo-0 is being deleted',
      },
    ]);
  });

  test('a claim being deleted: Parallel still creates the other pods', () => {
    const sim = newSim(burst(makeSet(3)));
    sim.claims.set('datadir-foo-1', { metadata: { name: 'datadir-foo-1', namespace: 'default', deletionTimestamp: at(sim, -1) }, spec: {} });
    const d = round(sim);
    assert.deepEqual(steps(d), [['create foo-0', 'create foo-2']]);
    assert.equal(d.events.length, 1);
    assert.equal(d.events[0]!.reason, 'FailedCreate');
  });

  const policies: { whenScaled: RetentionPolicyType; whenDeleted: RetentionPolicyType }[] = [
    { whenScaled: 'Retain', whenDeleted: 'Retain' },
    { whenScaled: 'Retain', whenDeleted: 'Delete' },
    { whenScaled: 'Delete', whenDeleted: 'Retain' },
    { whenScaled: 'Delete', whenDeleted: 'Delete' },
  ];
  for (const policy of policies) {
    test(`retention ${policy.whenScaled}/${policy.whenDeleted}: owners of live and condemned claims`, () => {
      const sim = newSim(makeSet(3, { persistentVolumeClaimRetentionPolicy: policy }));
      converge(sim);
      const ownerKinds = (name: string) => (sim.claims.get(name)?.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`);
      const setOwned = policy.whenDeleted === 'Delete';
      for (const name of ['datadir-foo-0', 'datadir-foo-1', 'datadir-foo-2']) {
        assert.deepEqual(ownerKinds(name), setOwned ? ['StatefulSet/foo'] : [], name);
      }
      setReplicas(sim, 2);
      const d = round(sim);
      if (policy.whenScaled === 'Delete') {
        // The condemned pod's claim is handed to the pod in a phase before the pod's deletion.
        assert.deepEqual(steps(d), [['own datadir-foo-2'], ['delete foo-2 ScaleDown']]);
        assert.deepEqual(ownerKinds('datadir-foo-2'), ['Pod/foo-2']);
        const ref = sim.claims.get('datadir-foo-2')!.metadata.ownerReferences![0]!;
        assert.equal(ref.uid, sim.pods.get('foo-2')!.metadata.uid);
        assert.equal(ref.controller, true);
      } else {
        assert.deepEqual(steps(d), [['delete foo-2 ScaleDown']]);
        assert.deepEqual(ownerKinds('datadir-foo-2'), setOwned ? ['StatefulSet/foo'] : []);
      }
      assert.deepEqual(ownerKinds('datadir-foo-1'), setOwned ? ['StatefulSet/foo'] : []);
    });
  }

  test('retention: updateClaim for a live replica once it is Running and Ready (OrderedReady)', () => {
    const sim = newSim(makeSet(2, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } }));
    assert.deepEqual(steps(round(sim)), [['create foo-0']]);
    assert.deepEqual(steps(round(sim)), []);
    setReady(sim, 'foo-0');
    const d = round(sim);
    assert.deepEqual(steps(d), [['own datadir-foo-0'], ['create foo-1']]);
    const claim = d.phases[0]![0]!;
    assert.deepEqual(claim.type === 'updateClaim' && claim.claim.metadata.ownerReferences, [
      { apiVersion: API_VERSION, kind: 'StatefulSet', name: 'foo', uid: 'test', controller: true, blockOwnerDeletion: true },
    ]);
  });

  test('retention policy changed to Retain: our refs are removed', () => {
    const sim = newSim(makeSet(2, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    converge(sim);
    sim.set = { ...sim.set, spec: { ...sim.set.spec, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } } };
    assert.deepEqual(steps(round(sim)), [['own datadir-foo-0'], ['own datadir-foo-1']]);
    for (const claim of sim.claims.values()) assert.deepEqual(claim.metadata.ownerReferences, []);
  });

  test('TestStaleOwnerRefOnScaleup: a claim still owned by the old pod blocks the scale up until it is gone', () => {
    for (const whenDeleted of ['Retain', 'Delete'] as const) {
      const sim = newSim(makeSet(3, { persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted } }));
      converge(sim);
      setReplicas(sim, 2);
      converge(sim);
      assert.equal(sim.set.status?.replicas, 2);
      const refs = sim.claims.get('datadir-foo-2')!.metadata.ownerReferences!;
      assert.equal(refs.length, 1);
      assert.equal(refs[0]!.name, 'foo-2');
      setReplicas(sim, 3);
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(steps(round(sim)), [], 'stale claim: no pod');
        readyAll(sim);
      }
      assert.equal(sim.set.status?.replicas, 2);
      assert.deepEqual(sim.claims.get('datadir-foo-2')!.metadata.ownerReferences, refs, 'the stale claim is left to the garbage collector');
      sim.claims.delete('datadir-foo-2');
      converge(sim);
      assert.equal(sim.set.status?.replicas, 3);
    }
  });

  test('with the garbage collector, whenScaled Delete removes the claims of scaled-down pods', () => {
    const sim = newSim(makeSet(3, { persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' } }), { gc: true });
    converge(sim);
    setReplicas(sim, 1);
    converge(sim);
    assert.deepEqual([...sim.claims.keys()], ['datadir-foo-0']);
    setReplicas(sim, 3);
    converge(sim);
    assert.deepEqual([...sim.claims.keys()].sort(), ['datadir-foo-0', 'datadir-foo-1', 'datadir-foo-2']);
  });
});

describe('identity repair', () => {
  test('a replica that lost its pod-name label or claim volume is updated', () => {
    const sim = newSim(makeSet(2));
    converge(sim);
    delete sim.pods.get('foo-0')!.metadata.labels![LABEL_POD_NAME];
    sim.pods.get('foo-1')!.spec.volumes = [{ name: 'home', hostPath: { path: '/tmp/home' } }];
    assert.deepEqual(steps(round(sim)), [['update foo-0'], ['update foo-1']]);
    assert.equal(sim.pods.get('foo-0')!.metadata.labels?.[LABEL_POD_NAME], 'foo-0');
    assert.deepEqual(sim.pods.get('foo-1')!.spec.volumes![0], { name: 'datadir', persistentVolumeClaim: { claimName: 'datadir-foo-1' } });
    assert.deepEqual(steps(round(sim)), []);
  });
});

describe('rolling update (TestStatefulSetControlRollingUpdate)', () => {
  test('OrderedReady: highest ordinal first, each replacement waits for health', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    const oldRev = sim.set.status!.currentRevision!;
    setImage(sim, 'foo');
    let d = round(sim);
    const newRev = d.status.updateRevision!;
    assert.notEqual(newRev, oldRev);
    assert.equal(d.status.currentRevision, oldRev);
    assert.deepEqual(steps(d), [['delete foo-2 Update']]);
    assert.equal(d.status.currentReplicas, 2, 'the deleted pod no longer counts as current');
    assert.deepEqual(steps(round(sim)), [], 'wait for the pod to go');
    finishTerminations(sim);
    d = round(sim);
    assert.deepEqual(steps(d), [['create foo-2']]);
    assert.equal(imageOf(sim, 'foo-2'), 'foo');
    assert.equal(revisionOf(sim.pods.get('foo-2')!), newRev);
    assert.deepEqual(steps(round(sim)), [], 'foo-2 not Ready: foo-1 waits');
    setReady(sim, 'foo-2');
    d = round(sim);
    assert.deepEqual(steps(d), [['delete foo-1 Update']]);
    assert.equal(d.status.updatedReplicas, 1);
    finishTerminations(sim);
    readyAll(sim);
    converge(sim);
    assert.deepEqual(images(sim), ['foo', 'foo', 'foo']);
    assert.equal(sim.set.status?.currentRevision, newRev, 'rollout complete: current = update');
    assert.equal(sim.set.status?.currentReplicas, 3);
    assert.equal(sim.set.status?.updatedReplicas, 3);
  });

  test('Parallel: still one pod at a time, but without waiting for the replacement to be created', () => {
    const sim = newSim(burst(makeSet(3)));
    converge(sim);
    setImage(sim, 'foo');
    assert.deepEqual(steps(round(sim)), [['delete foo-2 Update']]);
    finishTerminations(sim);
    // Replacement created; the rolling update then stops at the unavailable (new) foo-2.
    assert.deepEqual(steps(round(sim)), [['create foo-2']]);
    assert.deepEqual(steps(round(sim)), []);
  });

  test('an unready pod above the target halts the update', () => {
    const sim = newSim(burst(makeSet(3)));
    converge(sim);
    setImage(sim, 'foo');
    round(sim);
    finishTerminations(sim);
    round(sim);
    setReady(sim, 'foo-2');
    setUnready(sim, 'foo-2');
    assert.deepEqual(steps(round(sim)), []);
  });

  const cases: { name: string; policy: 'OrderedReady' | 'Parallel'; initial: number; replicas: number }[] = [
    { name: 'monotonic image update', policy: 'OrderedReady', initial: 3, replicas: 3 },
    { name: 'monotonic image update and scale up', policy: 'OrderedReady', initial: 3, replicas: 5 },
    { name: 'monotonic image update and scale down', policy: 'OrderedReady', initial: 5, replicas: 3 },
    { name: 'burst image update', policy: 'Parallel', initial: 3, replicas: 3 },
    { name: 'burst image update and scale up', policy: 'Parallel', initial: 3, replicas: 5 },
    { name: 'burst image update and scale down', policy: 'Parallel', initial: 5, replicas: 3 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const sim = newSim(makeSet(c.initial, { podManagementPolicy: c.policy }));
      converge(sim);
      setImage(sim, 'foo');
      setReplicas(sim, c.replicas);
      converge(sim);
      assert.deepEqual(images(sim), new Array<string>(c.replicas).fill('foo'));
      assert.equal(sim.set.status?.currentRevision, sim.set.status?.updateRevision);
      assert.equal(sim.set.status?.currentReplicas, c.replicas);
    });
  }
});

describe('rollback (TestStatefulSetControlRollback)', () => {
  const cases: { name: string; policy: 'OrderedReady' | 'Parallel'; initial: number; replicas: number }[] = [
    { name: 'monotonic image update', policy: 'OrderedReady', initial: 3, replicas: 3 },
    { name: 'monotonic image update and scale up', policy: 'OrderedReady', initial: 3, replicas: 5 },
    { name: 'monotonic image update and scale down', policy: 'OrderedReady', initial: 5, replicas: 3 },
    { name: 'burst image update', policy: 'Parallel', initial: 3, replicas: 3 },
    { name: 'burst image update and scale up', policy: 'Parallel', initial: 3, replicas: 5 },
    { name: 'burst image update and scale down', policy: 'Parallel', initial: 5, replicas: 3 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const sim = newSim(makeSet(c.initial, { podManagementPolicy: c.policy }));
      converge(sim);
      const firstRev = sim.set.status!.currentRevision!;
      setImage(sim, 'foo');
      setReplicas(sim, c.replicas);
      converge(sim);
      assert.deepEqual(images(sim), new Array<string>(c.replicas).fill('foo'));
      // Roll back to the oldest revision's template.
      sim.set = mutableCopy<StatefulSet>(applyRevision(sim.set, sortRevisions(sim.revisions)[0]!));
      converge(sim);
      assert.deepEqual(images(sim), new Array<string>(c.replicas).fill('nginx'));
      assert.equal(sim.set.status?.updateRevision, firstRev, 'the old revision is reused');
      assert.equal(sim.set.status?.currentRevision, firstRev);
      assert.equal(sim.revisions.length, 2);
      assert.equal(sim.revisions.find((r) => r.metadata.name === firstRev)?.revision, 3, 'renumbered to the next number');
    });
  }
});

describe('partition (TestStatefulSetControlRollingUpdateWithPartition)', () => {
  const cases: { name: string; policy: 'OrderedReady' | 'Parallel'; replicas: number }[] = [
    { name: 'monotonic image update', policy: 'OrderedReady', replicas: 3 },
    { name: 'monotonic image update and scale up', policy: 'OrderedReady', replicas: 5 },
    { name: 'burst image update', policy: 'Parallel', replicas: 3 },
    { name: 'burst image update and scale up', policy: 'Parallel', replicas: 5 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const sim = newSim(makeSet(3, { podManagementPolicy: c.policy, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
      converge(sim);
      const oldRev = sim.set.status!.currentRevision!;
      setImage(sim, 'foo');
      setReplicas(sim, c.replicas);
      converge(sim);
      assert.deepEqual(
        images(sim),
        podNames(sim).map((_, i) => (i < 2 ? 'nginx' : 'foo')),
      );
      assert.equal(sim.set.status?.currentRevision, oldRev, 'a partitioned rollout never completes');
      assert.equal(sim.set.status?.currentReplicas, 2);
      assert.equal(sim.set.status?.updatedReplicas, c.replicas - 2);
    });
  }

  test('a replaced pod below the partition uses the current revision, above it the update revision', () => {
    const sim = newSim(makeSet(4, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    converge(sim);
    setImage(sim, 'foo');
    converge(sim);
    sim.pods.delete('foo-0');
    sim.pods.delete('foo-3');
    converge(sim);
    assert.deepEqual(images(sim), ['nginx', 'nginx', 'foo', 'foo']);
  });

  test('lowering the partition continues the rollout', () => {
    const sim = newSim(makeSet(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    converge(sim);
    setImage(sim, 'foo');
    converge(sim);
    sim.set = { ...sim.set, spec: { ...sim.set.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } } };
    assert.deepEqual(steps(round(sim)), [['delete foo-1 Update']]);
    finishTerminations(sim);
    converge(sim);
    assert.deepEqual(images(sim), ['foo', 'foo', 'foo']);
    assert.equal(sim.set.status?.currentRevision, sim.set.status?.updateRevision);
  });

  test('partition above the replica count: nothing is updated', () => {
    const sim = newSim(makeSet(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 5 } } }));
    converge(sim);
    setImage(sim, 'foo');
    converge(sim);
    assert.deepEqual(images(sim), ['nginx', 'nginx', 'nginx']);
    assert.equal(sim.deletes, 0);
  });
});

describe('spec.replicas far beyond the pods (2^31 − 1 passes admission, as upstream)', () => {
  const HUGE = 2 ** 31 - 1;
  test('Parallel: one round considers at most MAX_MISSING_PER_SYNC missing ordinals', () => {
    const sim = newSim(burst(makeSet(HUGE)));
    const phases = steps(round(sim));
    assert.equal(phases.length, 1);
    assert.equal(phases[0]!.length, MAX_MISSING_PER_SYNC);
    assert.deepEqual(phases[0]!.slice(0, 2), ['create foo-0', 'create foo-1']);
    assert.equal(phases[0]!.at(-1), `create foo-${MAX_MISSING_PER_SYNC - 1}`);
    // The next round creates the next ordinals, and still visits the pods that exist.
    readyAll(sim);
    assert.deepEqual(steps(round(sim))[0]!.slice(0, 1), [`create foo-${MAX_MISSING_PER_SYNC}`]);
  });

  test('Parallel: past the cap, existing pods with higher ordinals are still handled', () => {
    const sim = newSim(burst(makeSet(HUGE)));
    round(sim);
    const far = structuredClone(sim.pods.get('foo-0')!);
    far.metadata = { ...far.metadata, name: `foo-${HUGE - 1}`, uid: 'far', labels: { ...far.metadata.labels } };
    sim.pods.set(far.metadata.name!, far);
    setPhase(sim, far.metadata.name!, 'Failed');
    const phase = steps(round(sim))[0]!;
    assert.ok(phase.includes(`delete foo-${HUGE - 1} Failed`), 'the failed pod at the top ordinal is deleted');
  });

  test('OrderedReady: one create after the last ready pod, as for any size', () => {
    const sim = newSim(makeSet(HUGE));
    for (let i = 0; i < 3; i++) {
      round(sim);
      readyAll(sim);
    }
    assert.deepEqual(steps(round(sim)), [['create foo-3']]);
  });

  test('RollingUpdate with maxUnavailable 2: the missing ordinals are unavailable, so nothing is deleted', () => {
    const sim = newSim(burst(makeSet(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } })));
    converge(sim);
    setImage(sim, 'foo');
    setReplicas(sim, HUGE);
    const deletes = steps(round(sim)).flat().filter((a) => a.startsWith('delete'));
    assert.deepEqual(deletes, []);
  });
});

describe('versionedPod (newVersionedStatefulSetPod)', () => {
  function obsFor(set: StatefulSet, currentReplicas?: number): StatefulSetObservation {
    const current = structuredClone(set);
    if (currentReplicas !== undefined) current.status = { replicas: 3, currentReplicas };
    const update = structuredClone(current);
    update.spec.template.spec.containers[0]!.image = 'new';
    return {
      set: update,
      pods: [],
      claim: () => undefined,
      claims: () => [],
      storageClass: () => undefined,
      currentSet: current,
      updateSet: update,
      currentRevision: 'cur',
      updateRevision: 'upd',
      collisionCount: 0,
      now: NOW,
    };
  }
  const cases: { name: string; strategy: StatefulSetSpec['updateStrategy']; currentReplicas?: number; start?: number; ordinal: number; want: 'cur' | 'upd' }[] = [
    { name: 'RollingUpdate, no rollingUpdate: below status.currentReplicas → current', strategy: { type: 'RollingUpdate' }, currentReplicas: 2, ordinal: 1, want: 'cur' },
    { name: 'RollingUpdate, no rollingUpdate: at status.currentReplicas → update', strategy: { type: 'RollingUpdate' }, currentReplicas: 2, ordinal: 2, want: 'upd' },
    { name: 'RollingUpdate, no rollingUpdate, no status → update', strategy: { type: 'RollingUpdate' }, ordinal: 0, want: 'upd' },
    { name: 'partition 2: ordinal 1 → current', strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, currentReplicas: 0, ordinal: 1, want: 'cur' },
    { name: 'partition 2: ordinal 2 → update', strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, currentReplicas: 3, ordinal: 2, want: 'upd' },
    { name: 'partition 0 ignores currentReplicas', strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, currentReplicas: 3, ordinal: 0, want: 'upd' },
    { name: 'OnDelete → update', strategy: { type: 'OnDelete' }, currentReplicas: 3, ordinal: 0, want: 'upd' },
    { name: 'partition counts from ordinals.start', strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, start: 5, ordinal: 5, want: 'cur' },
    { name: 'partition counts from ordinals.start (above)', strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, start: 5, ordinal: 6, want: 'upd' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const set = makeSet(3, { updateStrategy: c.strategy, ...(c.start !== undefined ? { ordinals: { start: c.start } } : {}) });
      const pod = versionedPod(obsFor(set, c.currentReplicas), c.ordinal);
      assert.equal(revisionOf(pod), c.want);
      assert.equal(pod.spec.containers[0]!.image, c.want === 'cur' ? 'nginx' : 'new');
      assert.equal(pod.metadata.name, `foo-${c.ordinal}`);
    });
  }
});

describe('OnDelete (TestStatefulSetControlOnDeleteUpdate)', () => {
  const cases: { name: string; policy: 'OrderedReady' | 'Parallel'; initial: number; replicas: number; afterUpdate: string[] }[] = [
    { name: 'monotonic image update', policy: 'OrderedReady', initial: 3, replicas: 3, afterUpdate: ['nginx', 'nginx', 'nginx'] },
    { name: 'monotonic image update and scale up', policy: 'OrderedReady', initial: 3, replicas: 5, afterUpdate: ['nginx', 'nginx', 'nginx', 'foo', 'foo'] },
    { name: 'monotonic image update and scale down', policy: 'OrderedReady', initial: 5, replicas: 3, afterUpdate: ['nginx', 'nginx', 'nginx'] },
    { name: 'burst image update', policy: 'Parallel', initial: 3, replicas: 3, afterUpdate: ['nginx', 'nginx', 'nginx'] },
    { name: 'burst image update and scale up', policy: 'Parallel', initial: 3, replicas: 5, afterUpdate: ['nginx', 'nginx', 'nginx', 'foo', 'foo'] },
    { name: 'burst image update and scale down', policy: 'Parallel', initial: 5, replicas: 3, afterUpdate: ['nginx', 'nginx', 'nginx'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const sim = newSim(makeSet(c.initial, { podManagementPolicy: c.policy, updateStrategy: { type: 'OnDelete' } }));
      converge(sim);
      const deletesBefore = sim.deletes;
      setImage(sim, 'foo');
      setReplicas(sim, c.replicas);
      converge(sim);
      assert.deepEqual(images(sim), c.afterUpdate);
      assert.equal(sim.deletes - deletesBefore, Math.max(0, c.initial - c.replicas), 'only scale-down deletions');
      assert.notEqual(sim.set.status?.currentRevision, sim.set.status?.updateRevision, 'OnDelete never completes a rollout');
      // Scale to 0 and back: every pod is recreated from the update revision.
      setReplicas(sim, 0);
      converge(sim);
      setReplicas(sim, c.replicas);
      converge(sim);
      assert.deepEqual(images(sim), new Array<string>(c.replicas).fill('foo'));
    });
  }

  test('a manually deleted pod comes back at the update revision', () => {
    const sim = newSim(makeSet(3, { updateStrategy: { type: 'OnDelete' } }));
    converge(sim);
    setImage(sim, 'foo');
    converge(sim);
    sim.pods.delete('foo-1');
    converge(sim);
    assert.deepEqual(images(sim), ['nginx', 'foo', 'nginx']);
    assert.equal(sim.set.status?.currentReplicas, 2);
    assert.equal(sim.set.status?.updatedReplicas, 1);
  });
});

describe('maxUnavailable (TestStatefulSetControlRollingUpdateWithMaxUnavailable)', () => {
  const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { partition: 3, maxUnavailable: 2 } };

  test('OrderedReady: two at a time down to the partition; replacements one by one', () => {
    const sim = newSim(makeSet(6, { updateStrategy: strategy }));
    converge(sim);
    setImage(sim, 'foo');
    assert.deepEqual(steps(round(sim)), [['delete foo-5 Update', 'delete foo-4 Update']]);
    finishTerminations(sim);
    assert.deepEqual(podNames(sim), ['foo-0', 'foo-1', 'foo-2', 'foo-3']);
    assert.deepEqual(steps(round(sim)), [['create foo-4']]);
    setReady(sim, 'foo-4');
    assert.deepEqual(steps(round(sim)), [['create foo-5']]);
    // foo-5 not ready: one unavailable, so one more may go.
    assert.deepEqual(steps(round(sim)), []);
    setReady(sim, 'foo-5');
    assert.deepEqual(steps(round(sim)), [['delete foo-3 Update']]);
    finishTerminations(sim);
    converge(sim);
    assert.deepEqual(images(sim), ['nginx', 'nginx', 'nginx', 'foo', 'foo', 'foo']);
  });

  test('Parallel: deleted pods come back together; pods 3/4/5 ready → nothing more', () => {
    const sim = newSim(burst(makeSet(6, { updateStrategy: strategy })));
    converge(sim);
    setImage(sim, 'foo');
    assert.deepEqual(steps(round(sim)), [['delete foo-5 Update', 'delete foo-4 Update']]);
    finishTerminations(sim);
    assert.deepEqual(steps(round(sim)), [['create foo-4', 'create foo-5']]);
    setReady(sim, 'foo-4');
    // foo-5 is still unavailable: one slot, foo-3 goes.
    assert.deepEqual(steps(round(sim)), [['delete foo-3 Update']]);
    finishTerminations(sim);
    assert.deepEqual(steps(round(sim)), [['create foo-3']]);
    setReady(sim, 'foo-3');
    setReady(sim, 'foo-5');
    assert.deepEqual(steps(round(sim)), []);
    assert.deepEqual(images(sim), ['nginx', 'nginx', 'nginx', 'foo', 'foo', 'foo']);
  });

  test('percentage: 50% of 4 → two at a time', () => {
    const sim = newSim(makeSet(4, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } } }));
    converge(sim);
    setImage(sim, 'foo');
    assert.deepEqual(steps(round(sim)), [['delete foo-3 Update', 'delete foo-2 Update']]);
    finishTerminations(sim);
    converge(sim);
    assert.deepEqual(images(sim), ['foo', 'foo', 'foo', 'foo']);
    assert.equal(sim.set.status?.currentRevision, sim.set.status?.updateRevision);
  });

  // …InOrderedModeVerifyInvariant: terminating pods count against maxUnavailable, wherever they are.
  // (Upstream calls the update step directly; Parallel lets this round reach it past the terminating pods.)
  const invariantCases: number[][] = [[], [5], [3], [4], [5, 4], [5, 3], [4, 3], [5, 4, 3], [2], [1]];
  for (const terminating of invariantCases) {
    test(`terminating ${JSON.stringify(terminating)}: deletes max(0, 2 - ${terminating.length})`, () => {
      const sim = newSim(burst(makeSet(6, { updateStrategy: strategy })));
      converge(sim);
      for (const o of terminating) sim.pods.get(`foo-${o}`)!.metadata.deletionTimestamp = at(sim, 0);
      setImage(sim, 'foo');
      const d = round(sim);
      const deleted = d.phases.flat().flatMap((a) => (a.type === 'deletePod' ? [ordinalOf(a.pod)] : []));
      assert.equal(deleted.length, Math.max(0, 2 - terminating.length));
      for (const o of deleted) {
        assert.ok(o >= 3, 'never below the partition');
        assert.ok(!terminating.includes(o), 'a terminating pod is not deleted again');
      }
    });
  }
});

describe('history (TestStatefulSetControlLimitsHistory / TestStatefulSetHonorRevisionHistoryLimit)', () => {
  const cases: { name: string; policy: 'OrderedReady' | 'Parallel'; limit: number }[] = [
    { name: 'monotonic update', policy: 'OrderedReady', limit: 2 },
    { name: 'burst update', policy: 'Parallel', limit: 2 },
    { name: 'zero revisionHistoryLimit', policy: 'OrderedReady', limit: 0 },
    { name: 'positive revisionHistoryLimit', policy: 'OrderedReady', limit: 5 },
    { name: 'negative revisionHistoryLimit', policy: 'OrderedReady', limit: -2 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const sim = newSim(makeSet(3, { podManagementPolicy: c.policy, revisionHistoryLimit: c.limit }));
      converge(sim);
      for (let i = 0; i < 10; i++) {
        setImage(sim, `foo-${i}`);
        converge(sim);
        assert.deepEqual(images(sim), [`foo-${i}`, `foo-${i}`, `foo-${i}`]);
        if (c.limit < 0) assert.equal(sim.revisions.length, i + 2, 'a negative limit keeps everything');
        else assert.ok(sim.revisions.length <= c.limit + 2, `${sim.revisions.length} revisions, limit ${c.limit}`);
      }
      // The numbers keep increasing.
      assert.equal(Math.max(...sim.revisions.map((r) => r.revision)), 11);
    });
  }

  test('an unchanged template reuses its revision', () => {
    const sim = newSim(makeSet(2));
    converge(sim);
    const before = sim.revisions.map((r) => r.metadata.name);
    round(sim);
    round(sim);
    assert.deepEqual(
      sim.revisions.map((r) => r.metadata.name),
      before,
    );
  });
});

describe('status: availability and minReadySeconds', () => {
  // TestStatefulSetAvailability
  const availability: { name: string; minReady: number; readyFor: number; available: number; requeueMs?: number }[] = [
    { name: 'ready for the required time', minReady: 3600, readyFor: 7200, available: 1 },
    { name: 'not ready for the required time', minReady: 3600, readyFor: 1800, available: 0, requeueMs: 1800_000 },
    { name: 'minReadySeconds 0: ready right now is available', minReady: 0, readyFor: 0, available: 1 },
  ];
  for (const c of availability) {
    test(c.name, () => {
      const sim = newSim(burst(makeSet(1, { minReadySeconds: c.minReady })));
      round(sim);
      setReady(sim, 'foo-0', -c.readyFor);
      const d = round(sim);
      assert.equal(d.status.readyReplicas, 1);
      assert.equal(d.status.availableReplicas, c.available);
      assert.equal(d.requeueAfterMs, c.requeueMs);
    });
  }

  test('requeue at the earliest pod becoming available', () => {
    const sim = newSim(burst(makeSet(3, { minReadySeconds: 30 })));
    round(sim);
    setReady(sim, 'foo-0', -100);
    setReady(sim, 'foo-1', -25);
    setReady(sim, 'foo-2', -10);
    const d = round(sim);
    assert.equal(d.status.readyReplicas, 3);
    assert.equal(d.status.availableReplicas, 1);
    assert.equal(d.requeueAfterMs, 5000);
  });

  test('no requeue when every ready pod is available, or none is ready', () => {
    const sim = newSim(burst(makeSet(2, { minReadySeconds: 30 })));
    assert.equal(round(sim).requeueAfterMs, undefined);
    setReady(sim, 'foo-0', -60);
    setReady(sim, 'foo-1', -60);
    assert.equal(round(sim).requeueAfterMs, undefined);
  });

  test('Ready but not Running counts neither as ready nor as available', () => {
    const sim = newSim(burst(makeSet(1)));
    round(sim);
    const pod = sim.pods.get('foo-0')!;
    pod.status = { phase: 'Pending', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at(sim, -60) }] };
    const d = round(sim);
    assert.equal(d.status.readyReplicas, 0);
    assert.equal(d.status.availableReplicas, 0);
  });

  test('OrderedReady waits for availability before creating the next pod', () => {
    const sim = newSim(makeSet(2, { minReadySeconds: 30 }));
    round(sim);
    setReady(sim, 'foo-0', -10);
    let d = round(sim);
    assert.deepEqual(steps(d), []);
    assert.equal(d.requeueAfterMs, 20_000);
    sim.now += 20_000;
    d = round(sim);
    assert.deepEqual(steps(d), [['create foo-1']]);
  });

  test('TestStatefulSetRollingUpdateRespectsMinReadySeconds', () => {
    const sim = newSim(makeSet(2, { minReadySeconds: 30 }));
    round(sim);
    setReady(sim, 'foo-0', -60);
    round(sim);
    setReady(sim, 'foo-1', -10);
    setImage(sim, 'updated-image');
    let d = round(sim);
    assert.deepEqual(steps(d), [], 'blocked: foo-1 ready for 10s < 30s');
    assert.equal(d.status.availableReplicas, 1);
    setReady(sim, 'foo-1', -60);
    d = round(sim);
    assert.equal(d.status.availableReplicas, 2);
    assert.deepEqual(steps(d), [['delete foo-1 Update']]);
  });

  test('TestStatefulSetScaleDownRespectsMinReadySeconds', () => {
    const sim = newSim(makeSet(3, { minReadySeconds: 30 }));
    converge(sim);
    for (const name of podNames(sim)) setReady(sim, name, -10);
    setReplicas(sim, 1);
    const d = round(sim);
    assert.equal(d.status.availableReplicas, 0);
    assert.deepEqual(steps(d), []);
    assert.equal(sim.pods.size, 3);
  });

  test('TestStatefulSetOnDeleteStrategyIgnoresMinReadySeconds', () => {
    const sim = newSim(makeSet(2, { minReadySeconds: 30, updateStrategy: { type: 'OnDelete' } }));
    converge(sim);
    for (const name of podNames(sim)) setReady(sim, name, -10);
    setImage(sim, 'updated-image');
    const d = round(sim);
    assert.equal(d.status.availableReplicas, 0);
    assert.notEqual(d.status.updateRevision, d.status.currentRevision);
    assert.deepEqual(steps(d), []);
  });

  test('TestStatefulSetPartitionRollingUpdateWithMinReadySeconds', () => {
    const sim = newSim(makeSet(4, { minReadySeconds: 30, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    converge(sim);
    for (const name of podNames(sim)) setReady(sim, name, -10);
    setImage(sim, 'updated-image');
    const d = round(sim);
    assert.equal(d.status.availableReplicas, 0);
    assert.deepEqual(steps(d), []);
    assert.equal(sim.pods.size, 4);
  });

  test('maxUnavailable counts pods that are ready but not yet available', () => {
    const sim = newSim(burst(makeSet(3, { minReadySeconds: 30, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } })));
    round(sim);
    setReady(sim, 'foo-0', -60);
    setReady(sim, 'foo-1', -60);
    setReady(sim, 'foo-2', -10);
    setImage(sim, 'foo');
    // One slot left (foo-2 counts as unavailable); upstream takes the highest stale pod, unavailable or not.
    assert.deepEqual(steps(round(sim)), [['delete foo-2 Update']]);
    finishTerminations(sim);
    // The replacement (not yet created, so unavailable) takes one slot: foo-1 goes in the same round.
    assert.deepEqual(steps(round(sim)), [['create foo-2'], ['delete foo-1 Update']]);
    finishTerminations(sim);
    setReady(sim, 'foo-2', -10);
    // foo-2 ready but not available, foo-1 missing: no slot for foo-0 after foo-1 is created.
    assert.deepEqual(steps(round(sim)), [['create foo-1']]);
  });
});

describe('completeRollingUpdate', () => {
  test('not complete while an updated pod is not ready', () => {
    const sim = newSim(burst(makeSet(2)));
    converge(sim);
    const oldRev = sim.set.status!.currentRevision!;
    setImage(sim, 'foo');
    round(sim);
    finishTerminations(sim);
    round(sim);
    readyAll(sim);
    round(sim);
    finishTerminations(sim);
    const d = round(sim);
    assert.deepEqual(steps(d), [['create foo-0']]);
    assert.equal(d.status.updatedReplicas, 1);
    assert.equal(d.status.currentRevision, oldRev);
    setReady(sim, 'foo-0');
    const done = round(sim);
    assert.equal(done.status.updatedReplicas, 2);
    assert.equal(done.status.currentRevision, done.status.updateRevision);
    assert.equal(done.status.currentReplicas, 2);
  });

  test('OnDelete: current revision stays even when every pod is updated', () => {
    const sim = newSim(makeSet(1, { updateStrategy: { type: 'OnDelete' } }));
    converge(sim);
    const oldRev = sim.set.status!.currentRevision!;
    setImage(sim, 'foo');
    round(sim);
    sim.pods.delete('foo-0');
    converge(sim);
    assert.equal(sim.set.status?.updatedReplicas, 1);
    assert.equal(sim.set.status?.currentRevision, oldRev);
  });
});

describe('set being deleted', () => {
  test('status only, no actions', () => {
    const sim = newSim(makeSet(3));
    converge(sim);
    setReplicas(sim, 5);
    setImage(sim, 'foo');
    sim.set.metadata.deletionTimestamp = at(sim, 0);
    const d = round(sim);
    assert.deepEqual(d.phases, []);
    assert.equal(d.status.replicas, 3);
    assert.equal(d.status.readyReplicas, 3);
  });
});

describe('volume claim resizing (beyond upstream)', () => {
  const bigSet = (replicas: number, storage: string, spec: Partial<StatefulSetSpec> = {}) =>
    makeSet(replicas, {
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: 'fast', resources: { requests: { storage } } } }],
      ...spec,
    });
  function claim(name: string, o: { request: string; capacity?: string; phase?: 'Pending' | 'Bound'; className?: string; deleting?: boolean }): PersistentVolumeClaim {
    const c: PersistentVolumeClaim = {
      metadata: { name, namespace: 'default' },
      spec: { storageClassName: o.className ?? 'fast', resources: { requests: { storage: o.request } } },
      status: { phase: o.phase ?? 'Bound', capacity: { storage: o.capacity ?? o.request } },
    };
    if (o.deleting) c.metadata.deletionTimestamp = rfc3339(NOW);
    return c;
  }
  function resizeObs(set: StatefulSet, claims: PersistentVolumeClaim[], classes: StorageClass[]): StatefulSetDecision {
    const sim = newSim(set);
    for (const c of claims) sim.claims.set(c.metadata.name!, c);
    for (const sc of classes) sim.classes.set(sc.metadata.name!, sc);
    return decideStatefulSet(observe(sim));
  }
  const fast: StorageClass = { metadata: { name: 'fast' }, provisioner: 'x', allowVolumeExpansion: true };
  const fixed: StorageClass = { metadata: { name: 'fast' }, provisioner: 'x' };

  test('bound claim + StorageClass with allowVolumeExpansion → resizeClaim', () => {
    const d = resizeObs(bigSet(2, '2Gi'), [claim('data-foo-0', { request: '1Gi' }), claim('data-foo-1', { request: '2Gi' })], [fast]);
    assert.deepEqual(
      d.resizes.map(describeAction),
      ['resize data-foo-0 2Gi'],
    );
    assert.deepEqual(d.status.volumeClaimTemplates, [{ templateName: 'data', storage: '2Gi', claims: 2, updatedClaims: 1, resizedClaims: 1 }]);
    assert.deepEqual(d.events, []);
  });

  const noAction: { name: string; claims: PersistentVolumeClaim[]; classes: StorageClass[]; observedGeneration: number; events: string[] }[] = [
    { name: 'unbound claim', claims: [claim('data-foo-0', { request: '1Gi', phase: 'Pending' })], classes: [fast], observedGeneration: 1, events: [] },
    {
      name: 'class without expansion, spec not yet observed: Warning',
      claims: [claim('data-foo-0', { request: '1Gi' })],
      classes: [fixed],
      observedGeneration: 1,
      events: ['VolumeResizeNotAllowed: cannot grow claims of template data to 2Gi: StorageClass "fast" does not set allowVolumeExpansion'],
    },
    { name: 'class without expansion, spec observed: no event', claims: [claim('data-foo-0', { request: '1Gi' })], classes: [fixed], observedGeneration: 2, events: [] },
    {
      name: 'missing class: Warning says so',
      claims: [claim('data-foo-0', { request: '1Gi' })],
      classes: [],
      observedGeneration: 1,
      events: ['VolumeResizeNotAllowed: cannot grow claims of template data to 2Gi: StorageClass "fast" does not exist'],
    },
    {
      name: 'one event per class, not per claim',
      claims: [claim('data-foo-0', { request: '1Gi' }), claim('data-foo-1', { request: '1Gi' })],
      classes: [fixed],
      observedGeneration: 1,
      events: ['VolumeResizeNotAllowed: cannot grow claims of template data to 2Gi: StorageClass "fast" does not set allowVolumeExpansion'],
    },
    { name: 'claim being deleted', claims: [claim('data-foo-0', { request: '1Gi', deleting: true })], classes: [fast], observedGeneration: 1, events: [] },
    { name: 'claim of a condemned ordinal', claims: [claim('data-foo-5', { request: '1Gi' })], classes: [fast], observedGeneration: 1, events: [] },
    { name: 'already big enough', claims: [claim('data-foo-0', { request: '4Gi' })], classes: [fast], observedGeneration: 1, events: [] },
  ];
  for (const c of noAction) {
    test(`no resize: ${c.name}`, () => {
      const set = bigSet(2, '2Gi');
      set.metadata.generation = 2;
      set.status = { replicas: 0, observedGeneration: c.observedGeneration };
      const d = resizeObs(set, c.claims, c.classes);
      assert.deepEqual(d.resizes, []);
      assert.deepEqual(
        d.events.filter((e) => e.reason === 'VolumeResizeNotAllowed').map((e) => `${e.reason}: ${e.message}`),
        c.events,
      );
      for (const e of d.events) assert.equal(e.type, 'Warning');
    });
  }

  test('status.volumeClaimTemplates counts claims, updated requests and reached capacity', () => {
    const set = bigSet(4, '2Gi');
    const d = resizeObs(
      set,
      [
        claim('data-foo-0', { request: '2Gi', capacity: '2Gi' }),
        claim('data-foo-1', { request: '2Gi', capacity: '1Gi' }),
        claim('data-foo-2', { request: '1Gi', capacity: '1Gi' }),
        claim('data-foo-9', { request: '1Gi' }),
      ],
      [fast],
    );
    assert.deepEqual(d.status.volumeClaimTemplates, [{ templateName: 'data', storage: '2Gi', claims: 3, updatedClaims: 2, resizedClaims: 1 }]);
    assert.deepEqual(d.resizes.map(describeAction), ['resize data-foo-2 2Gi']);
  });

  test('quantities compare by value (2048Mi is 2Gi)', () => {
    const d = resizeObs(bigSet(1, '2Gi'), [claim('data-foo-0', { request: '2048Mi' })], [fast]);
    assert.deepEqual(d.resizes, []);
    assert.equal(d.status.volumeClaimTemplates?.[0]?.updatedClaims, 1);
  });

  test('templates without a storage request have no status entry; no templates, no field', () => {
    const set = makeSet(1, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] });
    assert.equal(resizeObs(set, [], []).status.volumeClaimTemplates, undefined);
    assert.equal(resizeObs(makeSet(1, { volumeClaimTemplates: [] }), [], []).status.volumeClaimTemplates, undefined);
  });

  test('resizes are independent of the rollout: emitted while OrderedReady is blocked', () => {
    const sim = newSim(bigSet(2, '1Gi'));
    sim.classes.set('fast', fast);
    converge(sim);
    for (const c of sim.claims.values()) c.status = { phase: 'Bound', capacity: { storage: '1Gi' } };
    setUnready(sim, 'foo-0');
    sim.set = { ...sim.set, spec: { ...sim.set.spec, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '3Gi' } } } }] } };
    const d = round(sim);
    assert.deepEqual(steps(d), []);
    assert.deepEqual(d.resizes.map(describeAction), ['resize data-foo-0 3Gi', 'resize data-foo-1 3Gi']);
    assert.equal(sim.claims.get('data-foo-0')!.spec.resources?.requests?.storage, '3Gi');
    assert.deepEqual(round(sim).resizes, []);
  });
});
