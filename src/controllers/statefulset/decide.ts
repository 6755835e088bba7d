// The StatefulSet controller's decision, as a pure function of the set, its pods and claims, its two
// revisions and the clock: upstream updateStatefulSet (pkg/controller/statefulset/stateful_set_control.go)
// with the API calls turned into actions. Actions come in phases: the actions of one phase may run
// concurrently (Parallel pod management), phases run in order, and the first failure ends the round.
import type { PlannedEvent } from '../../runtime/events/recorder.ts';
import type { StatefulSet, StatefulSetCondition, StatefulSetStatus, VolumeClaimTemplateStatus } from '../../api/apps/types.ts';
import type { PersistentVolumeClaim, Pod, StorageClass } from '../../api/core/types.ts';
import { parseQuantity } from '../../runtime/util/quantity.ts';
import { selectorToString } from '../../runtime/util/selectors.ts';
import { claimOwnerUpToDate, claimsFor, ownerRefsForPolicy, podClaimIsStale } from './claims.ts';
import {
  availableAt,
  claimName,
  endOrdinal,
  identityMatches,
  inOrdinalRange,
  isAvailable,
  isCreated,
  isFailed,
  isPending,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  isUnavailable,
  newStatefulPod,
  ordinalOf,
  podName,
  replicasOf,
  revisionOf,
  startOrdinal,
  storageMatches,
  withIdentity,
  withStorage,
} from './identity.ts';
import { mutableCopy, type ReadonlyDeep } from '../../runtime/types.ts';

export type StatefulSetAction =
  /** Create the missing claims (already-existing ones are fine), then the pod. */
  | { type: 'createPod'; pod: ReadonlyDeep<Pod>; claims: readonly ReadonlyDeep<PersistentVolumeClaim>[] }
  /** Create claims a pending pod is still missing. */
  | { type: 'createClaims'; pod: ReadonlyDeep<Pod>; claims: readonly ReadonlyDeep<PersistentVolumeClaim>[] }
  | { type: 'deletePod'; pod: ReadonlyDeep<Pod>; reason: DeleteReason }
  /** Restore identity labels or claim volumes on an existing pod. */
  | { type: 'updatePod'; pod: ReadonlyDeep<Pod> }
  /** Owner references of a claim, for the retention policy. */
  | { type: 'updateClaim'; claim: ReadonlyDeep<PersistentVolumeClaim>; pod: ReadonlyDeep<Pod> }
  /** Beyond upstream: grow a bound claim to its template's storage. */
  | { type: 'resizeClaim'; claim: ReadonlyDeep<PersistentVolumeClaim>; storage: string };

export type DeleteReason = 'Failed' | 'Succeeded' | 'ScaleDown' | 'Update';

export interface StatefulSetObservation {
  set: ReadonlyDeep<StatefulSet>;
  /** Pods this set controls whose names carry an ordinal. */
  pods: readonly ReadonlyDeep<Pod>[];
  /** A claim of this namespace by name, from the cache. */
  claim: (name: string) => ReadonlyDeep<PersistentVolumeClaim> | undefined;
  /** Every claim of this namespace, from the cache (resizing visits the claims that exist, not every ordinal). */
  claims: () => readonly ReadonlyDeep<PersistentVolumeClaim>[];
  /** A StorageClass by name, from the cache (for resizing). */
  storageClass: (name: string) => ReadonlyDeep<StorageClass> | undefined;
  /** The set with the template of the current / update revision, and those revisions' names. */
  currentSet: ReadonlyDeep<StatefulSet>;
  updateSet: ReadonlyDeep<StatefulSet>;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
  now: number;
}

export interface StatefulSetDecision {
  status: StatefulSetStatus;
  phases: StatefulSetAction[][];
  /** Independent of the rollout (never held back by an unhealthy pod). */
  resizes: StatefulSetAction[];
  events: PlannedEvent[];
  requeueAfterMs?: number;
}

/** Resolves rollingUpdate.maxUnavailable against the replica count: percentages round down, at least 1. */
export function maxUnavailableOf(value: number | string | undefined, replicas: number): number {
  let n = 1;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const match = /^(\d+)%$/.exec(value);
    if (!match) throw new Error(`invalid maxUnavailable ${JSON.stringify(value)}: want an integer or a percentage`);
    n = Math.floor((Number(match[1]) * replicas) / 100);
  }
  return Math.max(1, n);
}

/** The pod for a missing ordinal: from the current revision below the partition, else the update revision. */
export function versionedPod(obs: StatefulSetObservation, ordinal: number): ReadonlyDeep<Pod> {
  const { currentSet } = obs;
  const strategy = currentSet.spec.updateStrategy;
  const type = strategy?.type ?? 'RollingUpdate';
  const start = startOrdinal(currentSet);
  // Upstream's condition, with its operator precedence: the partition applies to either strategy.
  const useCurrent =
    (type === 'RollingUpdate' && !strategy?.rollingUpdate && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (!!strategy?.rollingUpdate && ordinal < start + (strategy.rollingUpdate.partition ?? 0));
  return useCurrent ? newStatefulPod(currentSet, ordinal, obs.currentRevision) : newStatefulPod(obs.updateSet, ordinal, obs.updateRevision);
}

function countStatus(pods: readonly ReadonlyDeep<Pod>[], obs: StatefulSetObservation): Pick<StatefulSetStatus, 'replicas' | 'readyReplicas' | 'availableReplicas' | 'currentReplicas' | 'updatedReplicas'> {
  const minReady = obs.set.spec.minReadySeconds ?? 0;
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const pod of pods) {
    if (isCreated(pod)) s.replicas++;
    if (isRunningAndReady(pod)) {
      s.readyReplicas++;
      if (isAvailable(pod, minReady, obs.now)) s.availableReplicas++;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      const revision = revisionOf(pod);
      if (revision === obs.currentRevision) s.currentReplicas++;
      if (revision === obs.updateRevision) s.updatedReplicas++;
    }
  }
  return s;
}

/**
 * Missing ordinals a Parallel round considers at most: upstream's Job controller caps a sync at 500
 * pod creations the same way (MaxPodCreateDeletePerSync); upstream's StatefulSet controller has no cap
 * and allocates a slot per replica, which a huge spec.replicas turns into an out-of-memory crash.
 */
export const MAX_MISSING_PER_SYNC = 500;

export function decideStatefulSet(obs: StatefulSetObservation): StatefulSetDecision {
  const { set, now } = obs;
  const minReady = set.spec.minReadySeconds ?? 0;
  const monotonic = set.spec.podManagementPolicy !== 'Parallel';
  const start = startOrdinal(set);
  const replicaCount = replicasOf(set);
  const events: PlannedEvent[] = [];
  const phases: StatefulSetAction[][] = [];

  // Sparse, by offset (ordinal − start): spec.replicas may be up to 2^31 − 1, far beyond the pods.
  const existing = new Map<number, ReadonlyDeep<Pod>>();
  const condemned: ReadonlyDeep<Pod>[] = [];
  for (const pod of obs.pods) {
    if (inOrdinalRange(pod, set)) existing.set(ordinalOf(pod) - start, pod);
    else if (ordinalOf(pod) >= 0) condemned.push(pod);
  }
  const present = [...existing.keys()].sort((a, b) => a - b);
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  const counts = countStatus(obs.pods, obs);
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 0,
    ...counts,
    currentRevision: obs.currentRevision,
    updateRevision: obs.updateRevision,
    collisionCount: obs.collisionCount,
    selector: selectorToString(set.spec.selector),
  };
  if (set.status?.conditions) status.conditions = mutableCopy<StatefulSetCondition[]>(set.status.conditions);
  const resize = decideResizes(obs, events);
  if (resize.status.length) status.volumeClaimTemplates = resize.status;

  // Upstream's firstUnavailablePod: a condemned pod (lowest ordinal first) only when every replica in
  // range exists and is available; a missing replica counts as unavailable.
  const replicaUnavailable = existing.size < replicaCount || [...existing.values()].some((p) => isUnavailable(p, minReady, now));
  const firstUnavailable = replicaUnavailable ? undefined : [...condemned].reverse().find((p) => isUnavailable(p, minReady, now));

  let requeueAfterMs: number | undefined;
  if (minReady > 0 && counts.readyReplicas !== counts.availableReplicas) {
    requeueAfterMs = minReady * 1000;
    for (const pod of obs.pods) {
      const at = availableAt(pod, minReady);
      if (at !== undefined && at > now) requeueAfterMs = Math.min(requeueAfterMs, at - now);
    }
  }
  const done = (): StatefulSetDecision => finish(set, status, phases, resize.actions, events, requeueAfterMs);
  if (set.metadata.deletionTimestamp) return done();

  // Live replicas in ordinal order. Monotonic: one blocking step at a time.
  const concurrent: StatefulSetAction[] = [];
  const emit = (action: StatefulSetAction) => (monotonic ? phases.push([action]) : concurrent.push(action));
  // Parallel visits at most MAX_MISSING_PER_SYNC missing ordinals per round, then only the pods that
  // exist: the rest come on later rounds (each creation's watch event brings one).
  let missingSeen = 0;
  const nextOffset = (i: number) => (missingSeen < MAX_MISSING_PER_SYNC ? i + 1 : (present.find((o) => o > i) ?? replicaCount));
  for (let i = 0; i < replicaCount; i = nextOffset(i)) {
    const pod = existing.get(i);
    if (!pod) {
      missingSeen++;
      const planned = versionedPod(obs, start + i);
      if (podClaimIsStale(set, planned, obs.claim)) {
        if (monotonic) return done();
        continue;
      }
      const claims = missingClaims(obs, planned, events);
      if (claims === undefined) {
        if (monotonic) return done();
        continue;
      }
      emit({ type: 'createPod', pod: planned, claims });
      if (monotonic) return done();
      continue;
    }
    if (isFailed(pod) || isSucceeded(pod)) {
      // The replacement comes on a later round, once the old pod is gone from the API.
      if (!isTerminating(pod)) emit({ type: 'deletePod', pod, reason: isFailed(pod) ? 'Failed' : 'Succeeded' });
      if (monotonic) return done();
      continue;
    }
    if (isPending(pod)) {
      const claims = missingClaims(obs, pod, events);
      if (claims?.length) emit({ type: 'createClaims', pod, claims });
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isAvailable(pod, minReady, now))) return done();
    // A pod whose name is not canonical (`web-01`) cannot be renamed; leave it rather than write elsewhere.
    const canonical = pod.metadata.name === podName(set, ordinalOf(pod));
    if (canonical && (!identityMatches(set, pod) || !storageMatches(set, pod))) {
      emit({ type: 'updatePod', pod: withStorage(set, withIdentity(set, pod)) });
    }
    for (const claim of staleClaimOwners(obs, pod)) emit(claim);
  }
  if (concurrent.length) phases.push(concurrent.splice(0));

  // Claims of condemned pods follow the retention policy before those pods go.
  const claimFixes = condemned.flatMap((pod) => staleClaimOwners(obs, pod));
  if (claimFixes.length) phases.push(claimFixes);

  // Scale down, highest ordinal first; monotonic waits for each to be gone and for health.
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return done();
      continue;
    }
    if (monotonic && pod !== firstUnavailable && (!isRunningAndReady(pod) || !isAvailable(pod, minReady, now))) return done();
    emit({ type: 'deletePod', pod, reason: 'ScaleDown' });
    if (monotonic) return done();
  }
  if (concurrent.length) phases.push(concurrent.splice(0));

  const strategy = set.spec.updateStrategy;
  if (strategy?.type === 'OnDelete') return done();
  const rolling = rollingUpdateDeletions(obs, existing, status);
  if (rolling.length) phases.push(rolling);
  return done();
}

/**
 * Pods to delete for a RollingUpdate, highest ordinal first, down to the partition. Without
 * maxUnavailable (upstream's default path): one at a time, stopping at an unhealthy pod. With it
 * (upstream's MaxUnavailableStatefulSet path): as many as maxUnavailable allows.
 */
function rollingUpdateDeletions(obs: StatefulSetObservation, existing: Map<number, ReadonlyDeep<Pod>>, status: StatefulSetStatus): StatefulSetAction[] {
  const { set, now } = obs;
  const minReady = set.spec.minReadySeconds ?? 0;
  const rollingUpdate = set.spec.updateStrategy?.rollingUpdate;
  const updateMin = rollingUpdate?.partition ?? 0;
  const stale = (pod: ReadonlyDeep<Pod> | undefined): pod is Pod => !!pod && revisionOf(pod) !== obs.updateRevision && !isTerminating(pod);
  if (rollingUpdate?.maxUnavailable === undefined) {
    // Stops at the first missing ordinal, so this visits at most one offset more than there are pods.
    for (let target = replicasOf(set) - 1; target >= updateMin; target--) {
      const pod = existing.get(target);
      if (stale(pod)) {
        status.currentReplicas = (status.currentReplicas ?? 0) - 1;
        return [{ type: 'deletePod', pod, reason: 'Update' }];
      }
      if (!pod || isUnavailable(pod, minReady, now)) return [];
    }
    return [];
  }
  const maxUnavailable = maxUnavailableOf(rollingUpdate.maxUnavailable, replicasOf(set));
  const missing = replicasOf(set) - existing.size;
  const unavailable = missing + [...existing.values()].filter((p) => isUnavailable(p, minReady, now)).length;
  const deletions: StatefulSetAction[] = [];
  // Missing ordinals have nothing to delete: only the pods that exist, highest first.
  const targets = [...existing.keys()].filter((o) => o >= updateMin).sort((a, b) => b - a);
  for (const target of targets) {
    if (deletions.length >= maxUnavailable - unavailable) break;
    const pod = existing.get(target);
    if (stale(pod)) {
      deletions.push({ type: 'deletePod', pod, reason: 'Update' });
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
    }
  }
  return deletions;
}

/** Claims to create for the pod, or undefined when one of them is being deleted (wait for it). */
function missingClaims(obs: StatefulSetObservation, pod: ReadonlyDeep<Pod>, events: PlannedEvent[]): readonly ReadonlyDeep<PersistentVolumeClaim>[] | undefined {
  const missing: ReadonlyDeep<PersistentVolumeClaim>[] = [];
  for (const claim of claimsFor(obs.set, ordinalOf(pod)).values()) {
    const found = obs.claim(claim.metadata.name!);
    if (!found) missing.push(claim);
    else if (found.metadata.deletionTimestamp) {
      events.push({
        type: 'Warning',
        reason: 'FailedCreate',
        message: `Create Pod ${pod.metadata.name} in StatefulSet ${obs.set.metadata.name} failed error: pvc ${claim.metadata.name} is being deleted`,
      });
      return undefined;
    }
  }
  return missing;
}

/** updateClaim actions for the pod's claims whose owner references do not follow the retention policy. */
function staleClaimOwners(obs: StatefulSetObservation, pod: ReadonlyDeep<Pod>): StatefulSetAction[] {
  const actions: StatefulSetAction[] = [];
  for (const wanted of claimsFor(obs.updateSet, ordinalOf(pod)).values()) {
    const claim = obs.claim(wanted.metadata.name!);
    if (!claim || claimOwnerUpToDate(claim, obs.updateSet, pod)) continue;
    const ownerReferences = ownerRefsForPolicy(claim, obs.updateSet, pod);
    actions.push({ type: 'updateClaim', claim: { ...claim, metadata: { ...claim.metadata, ownerReferences } }, pod });
  }
  return actions;
}

function storageOf(resources: { requests?: Record<string, string | number> } | undefined): string | undefined {
  const storage = resources?.requests?.storage;
  return storage === undefined ? undefined : String(storage);
}

function quantity(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseQuantity(text);
  } catch {
    return undefined;
  }
}

/**
 * Beyond upstream: claims in range whose request is below their template's grow to it, when bound and
 * their StorageClass allows expansion; per template, how far that has got.
 */
function decideResizes(obs: StatefulSetObservation, events: PlannedEvent[]): { actions: StatefulSetAction[]; status: VolumeClaimTemplateStatus[] } {
  const { set } = obs;
  const actions: StatefulSetAction[] = [];
  const status: VolumeClaimTemplateStatus[] = [];
  const specChanged = set.status?.observedGeneration !== set.metadata.generation;
  for (const template of set.spec.volumeClaimTemplates ?? []) {
    const templateName = template.metadata.name ?? '';
    const storage = storageOf(template.spec.resources);
    const wanted = quantity(storage);
    if (storage === undefined || wanted === undefined) continue;
    const entry: VolumeClaimTemplateStatus = { templateName, storage, claims: 0, updatedClaims: 0, resizedClaims: 0 };
    status.push(entry);
    const refused = new Set<string>();
    for (const claim of claimsOfTemplate(obs, templateName)) {
      if (claim.metadata.deletionTimestamp) continue;
      entry.claims++;
      if ((quantity(claim.status?.capacity?.storage) ?? 0) >= wanted) entry.resizedClaims++;
      const requested = quantity(storageOf(claim.spec.resources)) ?? 0;
      if (requested >= wanted) {
        entry.updatedClaims++;
        continue;
      }
      if (claim.status?.phase !== 'Bound') continue; // the API server allows resizing bound claims only
      const className = claim.spec.storageClassName ?? '';
      if (!obs.storageClass(className)?.allowVolumeExpansion) {
        refused.add(className);
        continue;
      }
      actions.push({ type: 'resizeClaim', claim, storage });
    }
    if (specChanged) {
      for (const className of refused) {
        events.push({
          type: 'Warning',
          reason: 'VolumeResizeNotAllowed',
          message: `cannot grow claims of template ${templateName} to ${storage}: StorageClass "${className}" ${className && obs.storageClass(className) ? 'does not set allowVolumeExpansion' : 'does not exist'}`,
        });
      }
    }
  }
  return { actions, status };
}

/** The template's claims of ordinals in range, in ordinal order. */
function claimsOfTemplate(obs: StatefulSetObservation, templateName: string): readonly ReadonlyDeep<PersistentVolumeClaim>[] {
  const { set } = obs;
  const prefix = `${templateName}-${set.metadata.name}-`;
  const found: [number, ReadonlyDeep<PersistentVolumeClaim>][] = [];
  for (const claim of obs.claims()) {
    const name = claim.metadata.name ?? '';
    if (!name.startsWith(prefix)) continue;
    const ordinal = Number(name.slice(prefix.length));
    if (Number.isInteger(ordinal) && ordinal >= startOrdinal(set) && ordinal <= endOrdinal(set) && claimName(set, templateName, ordinal) === name) found.push([ordinal, claim]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, claim]) => claim);
}

/** completeRollingUpdate: once every replica runs the update revision, it becomes the current one. */
function finish(
  set: ReadonlyDeep<StatefulSet>,
  status: StatefulSetStatus,
  phases: StatefulSetAction[][],
  resizes: StatefulSetAction[],
  events: PlannedEvent[],
  requeueAfterMs: number | undefined,
): StatefulSetDecision {
  const replicas = replicasOf(set);
  if (
    (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
    status.updatedReplicas === replicas &&
    status.readyReplicas === replicas &&
    status.replicas === replicas
  ) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  const decision: StatefulSetDecision = { status, phases, resizes, events };
  if (requeueAfterMs !== undefined) decision.requeueAfterMs = requeueAfterMs;
  return decision;
}
