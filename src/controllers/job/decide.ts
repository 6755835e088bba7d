// The Job controller's decision, as a pure function of the Job, its pods and the clock: upstream
// syncJob + manageJob + trackJobStatusAndRemoveFinalizers (pkg/controller/job/job_controller.go),
// with the API calls turned into actions the caller performs in order after writing `status`.
import type { PlannedEvent } from '../../runtime/events/recorder.ts';
import {
  ANNOTATION_INDEX_FAILURE_COUNT,
  ANNOTATION_INDEX_IGNORED_FAILURE_COUNT,
} from '../../api/batch/types.ts';
import type { Job, JobCondition, JobConditionType, JobSpec, JobStatus, Pod } from '../../api/batch/types.ts';
import { findCondition, setTypedCondition } from '../../runtime/util/conditions.ts';
import { rfc3339, parseTimeOrUndefined } from '../../runtime/util/time.ts';
import { countIndexes, countOverlap, firstMissingIndexes, formatIndexes, hasIndex, mergeIntervals, parseIndexes, withIndexes } from './indexes.ts';
import type { Interval } from './indexes.ts';
import { backoffRecordFromPods, remainingBackoffForIndexMs, remainingBackoffMs } from './logic-backoff.ts';
import {
  compareForDeletion,
  completionIndexOf,
  finishedTime,
  hasTrackingFinalizer,
  indexAbsoluteFailureCount,
  indexFailureCount,
  isActive,
  isPodFailed,
  isPodReady,
  isTerminating,
  matchPodFailurePolicy,
  onlyReplaceFailedPods,
} from './logic-pods.ts';
import { newPod } from './pod-template.ts';
import { mutableCopy, type ReadonlyDeep, type Writable } from '../../runtime/types.ts';

export interface JobObservation {
  /** The Job from the cache; absent spec fields are defaulted here (see `withSpecDefaults`). */
  job: ReadonlyDeep<Job>;
  /** Every pod whose controller owner is this Job, in any state. */
  pods: readonly ReadonlyDeep<Pod>[];
  /** ms since the epoch. */
  now: number;
  /** false: the cache may miss pods we created or deleted; only account, never create or delete. */
  expectationsSatisfied: boolean;
}

export type JobAction =
  | { type: 'create'; pods: Pod[] }
  | { type: 'delete'; pods: readonly ReadonlyDeep<Pod>[]; reason: string }
  | { type: 'removeFinalizer'; pods: readonly ReadonlyDeep<Pod>[] };

export interface JobDecision {
  /** The full desired status; write it before performing any action. */
  status: JobStatus;
  /** To perform in order, after the status write succeeded. */
  actions: JobAction[];
  events: PlannedEvent[];
  /** Earliest time something changes by the clock alone. */
  requeueAfterMs?: number;
  /** ttlSecondsAfterFinished has passed: delete the Job (nothing else to do). */
  deleteJob?: boolean;
}

/** Upstream MaxUncountedPods: how many UIDs .status.uncountedTerminatedPods takes in one sync. */
export const MAX_UNCOUNTED_PODS = 500;
/** Upstream MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

const MAX_INT32 = 2_147_483_647;

/** Delete reasons (JobAction 'delete'.reason) besides the failure/success condition reasons. */
export const DELETE_REASON_SUSPENDED = 'JobSuspended';
export const DELETE_REASON_EXCESS = 'TooManyActivePods';

/**
 * The API server's Job defaults: parallelism 1 (and completions 1 when both are unset), backoffLimit 6
 * (MaxInt32 with backoffLimitPerIndex), completionMode NonIndexed, podReplacementPolicy Failed with a
 * podFailurePolicy and TerminatingOrFailed otherwise. `completions: null` is treated as unset.
 */
export function withSpecDefaults(spec: ReadonlyDeep<JobSpec>): ReadonlyDeep<JobSpec> {
  const out: Writable<ReadonlyDeep<JobSpec>> = { ...spec };
  if ((spec.completions === undefined || spec.completions === null) && spec.parallelism === undefined) out.completions = 1;
  if (out.completions === null) delete out.completions;
  out.parallelism ??= 1;
  out.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : 6;
  out.completionMode ??= 'NonIndexed';
  out.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  return out;
}

interface PlannedCondition {
  type: JobConditionType;
  reason: string;
  message: string;
}


function finishedConditionOf(status: JobStatus): JobCondition | undefined {
  return status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

class Decider {
  readonly obs: JobObservation;
  readonly job: ReadonlyDeep<Job>;
  readonly spec: ReadonlyDeep<JobSpec>;
  readonly now: number;
  readonly nowStr: string;
  readonly status: JobStatus;
  readonly out: JobDecision;
  readonly indexed: boolean;
  readonly completions: number | undefined;
  readonly suspended: boolean;
  readonly perIndex: boolean;

  activePods: ReadonlyDeep<Pod>[] = [];
  activeCount = 0;
  terminating = 0;
  ready = 0;
  uncountedSucceeded = new Set<string>();
  uncountedFailed = new Set<string>();
  succeeded = 0;
  failed = 0;
  finished: PlannedCondition | undefined;
  succeededIndexes: Interval[] = [];
  prevSucceededIndexes: Interval[] = [];
  failedIndexes: Interval[] | undefined;
  delayedDeletion = new Map<number, ReadonlyDeep<Pod>>();

  constructor(obs: JobObservation) {
    this.obs = obs;
    this.spec = withSpecDefaults(obs.job.spec);
    this.job = { ...obs.job, spec: this.spec };
    this.now = obs.now;
    this.nowStr = rfc3339(obs.now);
    this.status = mutableCopy<JobStatus>(obs.job.status ?? {});
    this.out = { status: this.status, actions: [], events: [] };
    this.indexed = this.spec.completionMode === 'Indexed';
    this.completions = this.spec.completions ?? undefined;
    this.suspended = this.spec.suspend === true;
    this.perIndex = this.indexed && this.spec.backoffLimitPerIndex !== undefined;
  }

  requeue(ms: number): void {
    const v = Math.max(0, Math.ceil(ms));
    this.out.requeueAfterMs = this.out.requeueAfterMs === undefined ? v : Math.min(this.out.requeueAfterMs, v);
  }

  event(type: PlannedEvent['type'], reason: string, message: string): void {
    this.out.events.push({ type, reason, message });
  }

  setCondition(type: JobConditionType, status: JobCondition['status'], reason: string, message: string): boolean {
    const before = findCondition(this.status.conditions, type);
    const next: JobCondition = { type, status, reason, message };
    this.status.conditions = setTypedCondition(this.status.conditions, next, this.nowStr, { touch: ['lastProbeTime'] });
    const after = findCondition(this.status.conditions, type);
    return before === undefined || before.status !== after?.status || before.reason !== after.reason || before.message !== after.message;
  }

  /** Pod index within [0, completions), or -1; every pod is "valid" for NonIndexed Jobs. */
  validIndex(pod: ReadonlyDeep<Pod>): boolean {
    if (!this.indexed) return true;
    const ix = completionIndexOf(pod);
    return ix >= 0 && ix < (this.completions ?? 0);
  }

  decide(): JobDecision {
    const finishedCond = finishedConditionOf(this.status);
    if (finishedCond) return this.decideFinished(finishedCond);
    const mode = this.obs.job.spec.completionMode;
    if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.event('Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return this.out;
    }
    this.observe();
    this.decideFinishedCondition();
    if (this.finished) {
      if (!this.obs.expectationsSatisfied) {
        // The cache may miss pods: the Job cannot be declared finished yet (upstream does the same).
        this.finished = undefined;
      } else {
        this.deletePods(this.activePods, this.finished.reason, false);
      }
    } else {
      let manageCalled = false;
      if (this.obs.expectationsSatisfied && this.job.metadata.deletionTimestamp === undefined) {
        this.manage();
        manageCalled = true;
      }
      const complete =
        this.completions === undefined ? this.succeeded > 0 && this.activeCount === 0 : this.succeeded >= this.completions && this.activeCount === 0;
      if (complete) {
        this.finished = { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      } else if (manageCalled) {
        this.updateSuspendCondition();
      }
    }
    this.status.active = this.activeCount;
    this.status.ready = this.ready;
    this.status.terminating = this.terminating;
    this.track();
    return this.finish();
  }

  decideFinished(cond: ReadonlyDeep<JobCondition>): JobDecision {
    // Upstream leaves finished Jobs alone; the orphan-pod path releases any finalizer still held.
    const held = this.obs.pods.filter(hasTrackingFinalizer);
    if (held.length) this.out.actions.push({ type: 'removeFinalizer', pods: held });
    const ttl = this.spec.ttlSecondsAfterFinished;
    if (ttl !== undefined) {
      const finishedAt = parseTimeOrUndefined(cond.lastTransitionTime) ?? this.now;
      const expireAt = finishedAt + ttl * 1000;
      if (this.now >= expireAt) this.out.deleteJob = true;
      else this.requeue(expireAt - this.now);
    }
    return this.out;
  }

  observe(): void {
    const { pods } = this.obs;
    this.activePods = pods.filter(isActive);
    this.activeCount = this.activePods.length;
    this.terminating = pods.filter(isTerminating).length;
    this.ready = this.activePods.filter(isPodReady).length;
    this.uncountedSucceeded = new Set(this.status.uncountedTerminatedPods?.succeeded ?? []);
    this.uncountedFailed = new Set(this.status.uncountedTerminatedPods?.failed ?? []);
    const fresh = (p: ReadonlyDeep<Pod>, uncounted: Set<string>): boolean =>
      hasTrackingFinalizer(p) && !uncounted.has(p.metadata.uid ?? '') && this.validIndex(p);
    const newSucceeded = pods.filter((p) => fresh(p, this.uncountedSucceeded) && p.status?.phase === 'Succeeded');
    const newFailed = pods.filter((p) => fresh(p, this.uncountedFailed) && isPodFailed(p, this.job));
    const newFailedCounted = newFailed.filter((p) => matchPodFailurePolicy(this.job, p).countFailed).length;
    this.succeeded = (this.status.succeeded ?? 0) + newSucceeded.length + this.uncountedSucceeded.size;
    this.failed = (this.status.failed ?? 0) + newFailedCounted + this.uncountedFailed.size;
    if (this.status.startTime === undefined && !this.suspended) this.status.startTime = this.nowStr;
  }

  /** Whether this sync resumes a suspended Job (the Suspended condition is still True). */
  resuming(): boolean {
    return !this.suspended && findCondition(this.status.conditions, 'Suspended')?.status === 'True';
  }

  decideFinishedCondition(): void {
    const scm = findCondition(this.status.conditions, 'SuccessCriteriaMet');
    if (scm?.status === 'True') this.finished = { type: 'SuccessCriteriaMet', reason: scm.reason ?? '', message: scm.message ?? '' };
    if (!this.finished) {
      const target = findCondition(this.status.conditions, 'FailureTarget');
      if (target?.status === 'True') {
        this.finished = { type: 'Failed', reason: target.reason ?? '', message: target.message ?? '' };
      } else {
        const message = this.failJobMessage();
        if (message !== undefined) this.finished = { type: 'FailureTarget', reason: 'PodFailurePolicy', message };
      }
    }
    if (!this.finished) {
      if (this.failed > (this.spec.backoffLimit ?? 6) || this.pastBackoffLimitOnFailure()) {
        this.finished = { type: 'FailureTarget', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else {
        const deadline = this.spec.activeDeadlineSeconds;
        // A resumed Job's deadline restarts now (its startTime is reset below), not from before it was suspended.
        const start = this.resuming() ? this.now : parseTimeOrUndefined(this.status.startTime);
        if (deadline !== undefined && start !== undefined && !this.suspended) {
          const left = start + deadline * 1000 - this.now;
          if (left <= 0) {
            this.finished = { type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
          } else {
            this.requeue(left);
          }
        }
      }
    }
    if (!this.indexed) return;
    const completions = this.completions ?? 0;
    this.prevSucceededIndexes = parseIndexes(this.status.completedIndexes, completions);
    const newIndexes = this.obs.pods
      .filter((p) => p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && this.validIndex(p))
      .map(completionIndexOf);
    this.succeededIndexes = withIndexes(this.prevSucceededIndexes, newIndexes);
    this.succeeded = countIndexes(this.succeededIndexes);
    if (this.perIndex) {
      const failedNow = this.obs.pods.filter((p) => hasTrackingFinalizer(p) && this.validIndex(p) && this.isIndexFailed(p)).map(completionIndexOf);
      this.failedIndexes = withIndexes(parseIndexes(this.status.failedIndexes, completions), failedNow);
      if (!this.finished) {
        const nFailed = countIndexes(this.failedIndexes);
        if (this.spec.maxFailedIndexes !== undefined && nFailed > this.spec.maxFailedIndexes) {
          this.finished = {
            type: 'FailureTarget',
            reason: 'MaxFailedIndexesExceeded',
            message: 'Job has exceeded the specified maximal number of failed indexes',
          };
        } else if (nFailed > 0 && nFailed + this.succeeded >= completions) {
          this.finished = { type: 'FailureTarget', reason: 'FailedIndexes', message: 'Job has failed indexes' };
        }
      }
      this.delayedDeletion = this.podsWithDelayedDeletion();
    }
    if (!this.finished) {
      const msg = this.matchSuccessPolicy();
      if (msg !== undefined) this.finished = { type: 'SuccessCriteriaMet', reason: 'SuccessPolicy', message: msg };
    }
  }

  failJobMessage(): string | undefined {
    if (!this.spec.podFailurePolicy) return undefined;
    for (const p of this.obs.pods) {
      if (!isPodFailed(p, this.job)) continue;
      const m = matchPodFailurePolicy(this.job, p);
      if (m.failJobMessage !== undefined) return m.failJobMessage;
    }
    return undefined;
  }

  /** OnFailure: restarts of Pending/Running pods' containers reaching backoffLimit (any restart when it is 0). */
  pastBackoffLimitOnFailure(): boolean {
    if (this.spec.template.spec.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const p of this.obs.pods) {
      const phase = p.status?.phase;
      if (phase !== 'Running' && phase !== 'Pending') continue;
      for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
    }
    const limit = this.spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  isIndexFailed(pod: ReadonlyDeep<Pod>): boolean {
    if (!isPodFailed(pod, this.job)) return false;
    const m = matchPodFailurePolicy(this.job, pod);
    if (m.action === 'FailIndex') return true;
    return m.countFailed && indexFailureCount(pod) >= (this.spec.backoffLimitPerIndex ?? 0);
  }

  /** Per index, the failed pod (with finalizer) whose removal waits for its replacement to carry its failure count. */
  podsWithDelayedDeletion(): Map<number, ReadonlyDeep<Pod>> {
    const activeIndexes = new Set(this.activePods.map(completionIndexOf));
    const result = new Map<number, ReadonlyDeep<Pod>>();
    for (const p of this.obs.pods) {
      if (!hasTrackingFinalizer(p) || !this.validIndex(p) || !isPodFailed(p, this.job)) continue;
      const ix = completionIndexOf(p);
      if (hasIndex(this.succeededIndexes, ix) || hasIndex(this.failedIndexes ?? [], ix) || activeIndexes.has(ix)) continue;
      const last = result.get(ix);
      if (!last || (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(p) && finishedTime(p) >= finishedTime(last))) result.set(ix, p);
    }
    return result;
  }

  matchSuccessPolicy(): string | undefined {
    const rules = this.spec.successPolicy?.rules;
    if (!rules || this.succeededIndexes.length === 0) return undefined;
    for (const [i, rule] of rules.entries()) {
      if (rule.succeededIndexes !== undefined) {
        const required = parseIndexes(rule.succeededIndexes, this.completions ?? 0);
        if (required.length === 0) continue;
        const have = countOverlap(required, this.succeededIndexes);
        if (have === countIndexes(required) || (rule.succeededCount !== undefined && have >= rule.succeededCount)) return `Matched rules at index ${i}`;
      } else if (rule.succeededCount !== undefined && countIndexes(this.succeededIndexes) >= rule.succeededCount) {
        return `Matched rules at index ${i}`;
      }
    }
    return undefined;
  }

  /**
   * Plans deletion of active pods. `releaseFinalizer`: remove the tracking finalizer first (scale-down,
   * suspend: the pod must not count as failed), as upstream deleteJobPods; when the Job is finishing the
   * finalizer stays, and the tracking step counts and releases the pod.
   */
  deletePods(pods: readonly ReadonlyDeep<Pod>[], reason: string, releaseFinalizer: boolean): void {
    if (pods.length === 0) return;
    if (releaseFinalizer) {
      const held = pods.filter(hasTrackingFinalizer);
      if (held.length) this.out.actions.push({ type: 'removeFinalizer', pods: held });
    }
    this.out.actions.push({ type: 'delete', pods, reason });
    this.activeCount -= pods.length;
    this.terminating += pods.length;
    this.ready -= pods.filter(isPodReady).length;
  }

  /** Upstream activePodsForRemoval: for Indexed Jobs bad/duplicate indexes first; then by deletion order. */
  activePodsForRemoval(rmAtLeast: number): ReadonlyDeep<Pod>[] {
    let rm: ReadonlyDeep<Pod>[] = [];
    let left: ReadonlyDeep<Pod>[] = this.activePods;
    if (this.indexed) {
      const completions = this.completions ?? 0;
      rm = [];
      left = [];
      const byIndex = new Map<number, ReadonlyDeep<Pod>[]>();
      for (const p of this.activePods) {
        const ix = completionIndexOf(p);
        if (ix < 0 || ix >= completions) {
          rm.push(p);
          continue;
        }
        const list = byIndex.get(ix);
        if (list) list.push(p);
        else byIndex.set(ix, [p]);
      }
      for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
        const group = [...byIndex.get(ix)!].sort(compareForDeletion);
        rm.push(...group.slice(0, -1));
        left.push(group[group.length - 1]!);
      }
    }
    if (rm.length < rmAtLeast) {
      const sorted = [...left].sort(compareForDeletion);
      rm.push(...sorted.slice(0, rmAtLeast - rm.length));
    }
    return rm;
  }

  manage(): void {
    if (this.suspended) {
      this.deletePods(this.activePodsForRemoval(this.activeCount), DELETE_REASON_SUSPENDED, true);
      return;
    }
    const parallelism = this.spec.parallelism ?? 1;
    let wantActive: number;
    if (this.completions === undefined) wantActive = this.succeeded > 0 ? this.activeCount : parallelism;
    else wantActive = Math.max(0, Math.min(this.completions - this.succeeded, parallelism));

    const toDelete = this.activePodsForRemoval(Math.max(0, this.activeCount - wantActive)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (toDelete.length > 0) {
      // Deletions and creations never happen in the same sync; deletion goes first (as upstream).
      this.deletePods(toDelete, DELETE_REASON_EXCESS, true);
      return;
    }
    const terminating = onlyReplaceFailedPods(this.job) ? this.terminating : 0;
    let diff = wantActive - terminating - this.activeCount;
    if (diff <= 0) return;
    if (!this.perIndex) {
      const record = backoffRecordFromPods(this.job, this.obs.pods);
      const remaining =
        record.lastFailureTime === undefined ? 0 : remainingBackoffMs(record.failuresAfterLastSuccess, record.lastFailureTime, this.now);
      if (remaining > 0) {
        this.requeue(remaining);
        return;
      }
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    const pods: Pod[] = [];
    if (this.indexed) {
      let indexes = this.firstPendingIndexes(diff);
      if (this.perIndex) {
        const ready: number[] = [];
        let minRemaining: number | undefined;
        for (const ix of indexes) {
          const remaining = remainingBackoffForIndexMs(this.delayedDeletion.get(ix), this.now);
          if (remaining === 0) ready.push(ix);
          else if (minRemaining === undefined || remaining < minRemaining) minRemaining = remaining;
        }
        if (ready.length === 0 && minRemaining !== undefined) {
          this.requeue(minRemaining);
          return;
        }
        indexes = ready;
      }
      for (const ix of indexes) pods.push(this.newIndexedPod(ix));
    } else {
      for (let i = 0; i < diff; i++) pods.push(newPod(this.job, undefined));
    }
    if (pods.length === 0) return;
    this.out.actions.push({ type: 'create', pods });
    this.activeCount += pods.length;
  }

  firstPendingIndexes(count: number): number[] {
    let taken = withIndexes(this.succeededIndexes, this.activePods.map(completionIndexOf));
    if (onlyReplaceFailedPods(this.job)) taken = withIndexes(taken, this.obs.pods.filter(isTerminating).map(completionIndexOf));
    if (this.failedIndexes) taken = mergeIntervals(taken, this.failedIndexes);
    return firstMissingIndexes(taken, count, this.completions ?? 0);
  }

  newIndexedPod(ix: number): Pod {
    const pod = newPod(this.job, ix);
    if (this.perIndex) {
      const replaced = this.delayedDeletion.get(ix);
      let failures = 0;
      let ignored = 0;
      if (replaced) {
        failures = indexFailureCount(replaced);
        ignored = indexAbsoluteFailureCount(replaced) - failures;
        if (matchPodFailurePolicy(this.job, replaced).countFailed) failures++;
        else ignored++;
      }
      const annotations: Record<string, string> = { ...(pod.metadata.annotations ?? {}), [ANNOTATION_INDEX_FAILURE_COUNT]: String(failures) };
      if (ignored > 0) annotations[ANNOTATION_INDEX_IGNORED_FAILURE_COUNT] = String(ignored);
      pod.metadata.annotations = annotations;
    }
    return pod;
  }

  updateSuspendCondition(): void {
    if (this.suspended) {
      if (this.setCondition('Suspended', 'True', 'JobSuspended', 'Job suspended')) this.event('Normal', 'Suspended', 'Job suspended');
      return;
    }
    // A False condition is only written over an existing one (going from nothing to False says nothing).
    const existing = findCondition(this.status.conditions, 'Suspended');
    if (!existing) return;
    if (this.setCondition('Suspended', 'False', 'JobResumed', 'Job resumed')) {
      this.event('Normal', 'Resumed', 'Job resumed');
      // activeDeadlineSeconds counts continuous activity: the clock restarts on resume.
      this.status.startTime = this.nowStr;
    }
  }

  canRemoveFinalizer(pod: ReadonlyDeep<Pod>, considerFailed: boolean): boolean {
    if (this.job.metadata.deletionTimestamp !== undefined || this.finished || pod.status?.phase === 'Succeeded') return true;
    if (!considerFailed) return false;
    if (this.perIndex) {
      const ix = completionIndexOf(pod);
      if (ix >= 0 && this.delayedDeletion.get(ix)?.metadata.uid === pod.metadata.uid) return false;
    }
    return true;
  }

  /** Upstream trackJobStatusAndRemoveFinalizers, with the finalizer removals left to the caller. */
  track(): void {
    const status = this.status;
    const withFinalizer = new Set(this.obs.pods.filter(hasTrackingFinalizer).map((p) => p.metadata.uid ?? ''));
    // Step two of the two-step count: UIDs recorded earlier whose pods no longer hold the finalizer.
    let succeeded = status.succeeded ?? 0;
    let failed = status.failed ?? 0;
    const uncountedSucceeded: string[] = [];
    const uncountedFailed: string[] = [];
    for (const uid of this.uncountedSucceeded) {
      if (withFinalizer.has(uid)) uncountedSucceeded.push(uid);
      else succeeded++;
    }
    for (const uid of this.uncountedFailed) {
      if (withFinalizer.has(uid)) uncountedFailed.push(uid);
      else failed++;
    }
    // Step one: finished pods still holding the finalizer are recorded, then released after the write.
    const failing = this.finished !== undefined && this.finished.type !== 'SuccessCriteriaMet' && this.finished.type !== 'Complete';
    const completions = this.completions ?? 0;
    const release: ReadonlyDeep<Pod>[] = [];
    const newIndexes: number[] = [];
    let reachedMax = false;
    const pods = this.indexed ? [...this.obs.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b)) : this.obs.pods;
    for (const pod of pods) {
      if (!hasTrackingFinalizer(pod)) continue;
      const uid = pod.metadata.uid ?? '';
      const considerFailed = isPodFailed(pod, this.job);
      if (!this.canRemoveFinalizer(pod, considerFailed)) continue;
      release.push(pod);
      if (pod.status?.phase === 'Succeeded' && !this.uncountedFailed.has(uid)) {
        if (this.indexed) {
          const ix = completionIndexOf(pod);
          if (ix >= 0 && ix < completions && !hasIndex(this.prevSucceededIndexes, ix)) newIndexes.push(ix);
        } else if (!this.uncountedSucceeded.has(uid)) {
          uncountedSucceeded.push(uid);
        }
      } else if (considerFailed || failing) {
        // When the Job is failing, every pod that has not succeeded counts as failed.
        const ix = completionIndexOf(pod);
        if (!this.uncountedFailed.has(uid) && (!this.indexed || (ix >= 0 && ix < completions))) {
          if (matchPodFailurePolicy(this.job, pod).countFailed) uncountedFailed.push(uid);
        }
      }
      if (newIndexes.length + uncountedSucceeded.length + uncountedFailed.length >= MAX_UNCOUNTED_PODS) {
        reachedMax = true;
        break;
      }
    }
    status.succeeded = succeeded;
    status.failed = failed;
    status.uncountedTerminatedPods = {};
    if (uncountedSucceeded.length) status.uncountedTerminatedPods.succeeded = uncountedSucceeded;
    if (uncountedFailed.length) status.uncountedTerminatedPods.failed = uncountedFailed;
    if (this.indexed) {
      this.succeededIndexes = withIndexes(this.succeededIndexes, newIndexes);
      status.succeeded = countIndexes(this.succeededIndexes);
      status.completedIndexes = formatIndexes(this.succeededIndexes);
      if (this.failedIndexes) status.failedIndexes = formatIndexes(this.failedIndexes);
      else delete status.failedIndexes;
    }
    if (release.length) this.out.actions.push({ type: 'removeFinalizer', pods: release });

    // Interim conditions go in now; the terminal one waits until every pod is counted and gone.
    let final: PlannedCondition | undefined = this.finished;
    if (final?.type === 'FailureTarget') {
      this.setCondition('FailureTarget', 'True', final.reason, final.message);
      final = { type: 'Failed', reason: final.reason, message: final.message };
    } else if (final?.type === 'SuccessCriteriaMet') {
      if (findCondition(status.conditions, 'SuccessCriteriaMet')?.status !== 'True') this.setCondition('SuccessCriteriaMet', 'True', final.reason, final.message);
      final = { type: 'Complete', reason: final.reason, message: final.message };
    }
    if (!final || reachedMax) return;
    if (uncountedSucceeded.length + uncountedFailed.length > 0 || this.terminating > 0) return;
    this.setCondition(final.type, 'True', final.reason, final.message);
    if (final.type === 'Complete') {
      status.completionTime = findCondition(status.conditions, 'Complete')?.lastTransitionTime ?? this.nowStr;
      if (this.completions !== undefined && (status.succeeded ?? 0) > this.completions) {
        this.event('Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.event('Normal', 'Completed', 'Job completed');
    } else {
      this.event('Warning', final.reason, final.message);
    }
    // A finished Job only waits for its TTL; other clock-driven wake-ups no longer apply.
    delete this.out.requeueAfterMs;
    const ttl = this.spec.ttlSecondsAfterFinished;
    if (ttl !== undefined) this.requeue(ttl * 1000);
  }

  finish(): JobDecision {
    const s = this.status;
    // Zero counters are omitted, as the API server's JSON omits them.
    if (!s.active) delete s.active;
    if (!s.succeeded) delete s.succeeded;
    if (!s.failed) delete s.failed;
    if (s.completedIndexes === '') delete s.completedIndexes;
    return this.out;
  }
}

/** What the Job controller does now for this Job and its pods (pure: no I/O, time from `obs.now`). */
export function decideJob(obs: JobObservation): JobDecision {
  return new Decider(obs).decide();
}
