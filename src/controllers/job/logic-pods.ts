// Pod predicates and orderings the Job decision uses: upstream's controller utils (FilterActivePods,
// ActivePods ordering, IsPodReady), job_controller.go (isPodFailed), backoff_utils.go (getFinishedTime)
// and pod_failure_policy.go (matchPodFailurePolicy).
import {
  ANNOTATION_COMPLETION_INDEX,
  ANNOTATION_INDEX_FAILURE_COUNT,
  ANNOTATION_INDEX_IGNORED_FAILURE_COUNT,
  FINALIZER_JOB_TRACKING,
} from '../../api/batch/types.ts';
import type { ContainerStatus, Job, Pod, PodFailurePolicyRule } from '../../api/batch/types.ts';
import { parseTimeOrUndefined } from '../../runtime/util/time.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export function isTerminal(pod: ReadonlyDeep<Pod>): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isDeleting(pod: ReadonlyDeep<Pod>): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** Not finished and not being deleted (controller.FilterActivePods). */
export function isActive(pod: ReadonlyDeep<Pod>): boolean {
  return !isTerminal(pod) && !isDeleting(pod);
}

/** Being deleted but not finished yet (controller.CountTerminatingPods). */
export function isTerminating(pod: ReadonlyDeep<Pod>): boolean {
  return isDeleting(pod) && !isTerminal(pod);
}

export function isPodReady(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function hasTrackingFinalizer(pod: ReadonlyDeep<Pod>): boolean {
  return pod.metadata.finalizers?.includes(FINALIZER_JOB_TRACKING) ?? false;
}

/** Whether only Failed pods are replaced (podReplacementPolicy Failed, the default with a podFailurePolicy). */
export function onlyReplaceFailedPods(job: ReadonlyDeep<Job>): boolean {
  return job.spec.podReplacementPolicy === 'Failed' || job.spec.podFailurePolicy !== undefined;
}

/**
 * Upstream isPodFailed: phase Failed; or, unless only failed pods are replaced, being deleted without
 * having succeeded (orphans that never reach a terminal phase still count as failures).
 */
export function isPodFailed(pod: ReadonlyDeep<Pod>, job: ReadonlyDeep<Job>): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return isDeleting(pod) && pod.status?.phase !== 'Succeeded';
}

const UNKNOWN_INDEX = -1;

/** The completion index annotation as a non-negative integer, or -1. */
export function completionIndexOf(pod: ReadonlyDeep<Pod>): number {
  const v = pod.metadata.annotations?.[ANNOTATION_COMPLETION_INDEX];
  if (v === undefined || !/^\+?\d+$/.test(v)) return UNKNOWN_INDEX;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : UNKNOWN_INDEX;
}

function annotationInt(pod: ReadonlyDeep<Pod>, key: string): number {
  const v = pod.metadata.annotations?.[key];
  if (v === undefined || !/^\+?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n > 2_147_483_647 ? 0 : n;
}

/** The index-failure-count annotation (0 when absent or invalid). */
export function indexFailureCount(pod: ReadonlyDeep<Pod>): number {
  return annotationInt(pod, ANNOTATION_INDEX_FAILURE_COUNT);
}

/** The index-failure-count plus the ignored-failure-count annotations. */
export function indexAbsoluteFailureCount(pod: ReadonlyDeep<Pod>): number {
  return annotationInt(pod, ANNOTATION_INDEX_FAILURE_COUNT) + annotationInt(pod, ANNOTATION_INDEX_IGNORED_FAILURE_COUNT);
}


/**
 * When the pod finished (upstream getFinishedTime): the latest container finishedAt if all containers
 * terminated; else the Ready=False transition time; else deletionTimestamp − grace period; else the
 * creation time (0 when even that is missing).
 */
export function finishedTime(pod: ReadonlyDeep<Pod>): number {
  const statuses = pod.status?.containerStatuses ?? [];
  let latest: number | undefined;
  let allDone = statuses.length > 0;
  for (const cs of statuses) {
    const t = parseTimeOrUndefined(cs.state?.terminated?.finishedAt);
    if (t === undefined) {
      allDone = false;
      break;
    }
    if (latest === undefined || t > latest) latest = t;
  }
  if (allDone && latest !== undefined) return latest;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False') {
    const t = parseTimeOrUndefined(ready.lastTransitionTime);
    if (t !== undefined) return t;
  }
  const deletion = parseTimeOrUndefined(pod.metadata.deletionTimestamp);
  if (deletion !== undefined) return deletion - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return parseTimeOrUndefined(pod.metadata.creationTimestamp) ?? 0;
}

function phaseOrdinal(pod: ReadonlyDeep<Pod>): number {
  switch (pod.status?.phase) {
    case 'Pending':
      return 0;
    case 'Unknown':
      return 1;
    case 'Running':
      return 2;
    default:
      return 3;
  }
}

function readySince(pod: ReadonlyDeep<Pod>): number | undefined {
  return parseTimeOrUndefined(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime);
}

function maxRestarts(pod: ReadonlyDeep<Pod>): number {
  let n = 0;
  for (const cs of pod.status?.containerStatuses ?? []) n = Math.max(n, cs.restartCount ?? 0);
  return n;
}

/**
 * Upstream controller.ActivePods order, the pods to delete first: unscheduled before scheduled;
 * Pending < Unknown < Running; not ready before ready; ready for less time first; more restarts first;
 * newer first (no creation time first).
 */
export function compareForDeletion(a: ReadonlyDeep<Pod>, b: ReadonlyDeep<Pod>): number {
  const aNode = !!a.spec.nodeName;
  const bNode = !!b.spec.nodeName;
  if (aNode !== bNode) return aNode ? 1 : -1;
  const pa = phaseOrdinal(a);
  const pb = phaseOrdinal(b);
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  if (ra && rb) {
    const ta = readySince(a);
    const tb = readySince(b);
    if (ta !== tb) {
      if (ta === undefined) return -1;
      if (tb === undefined) return 1;
      return tb - ta;
    }
  }
  const ca = maxRestarts(a);
  const cb = maxRestarts(b);
  if (ca !== cb) return cb - ca;
  const ta = parseTimeOrUndefined(a.metadata.creationTimestamp);
  const tb = parseTimeOrUndefined(b.metadata.creationTimestamp);
  if (ta !== tb) {
    if (ta === undefined) return -1;
    if (tb === undefined) return 1;
    return tb - ta;
  }
  return 0;
}

export interface PolicyMatch {
  /** The matched rule's action, undefined when no rule matched. */
  action?: PodFailurePolicyRule['action'];
  /** Whether the failure counts toward backoffLimit (false only for Ignore). */
  countFailed: boolean;
  /** For FailJob: the Job failure message. */
  failJobMessage?: string;
}

function matchExitCodes(
  statuses: readonly ReadonlyDeep<ContainerStatus>[] | undefined,
  rule: ReadonlyDeep<NonNullable<PodFailurePolicyRule['onExitCodes']>>,
): ReadonlyDeep<ContainerStatus> | undefined {
  for (const cs of statuses ?? []) {
    const term = cs.state?.terminated;
    if (!term) continue;
    if (rule.containerName !== undefined && rule.containerName !== cs.name) continue;
    if (term.exitCode === 0) continue;
    const listed = rule.values.includes(term.exitCode);
    if ((rule.operator === 'In' && listed) || (rule.operator === 'NotIn' && !listed)) return cs;
  }
  return undefined;
}

/** Upstream matchPodFailurePolicy: the first rule matching the failed pod decides. */
export function matchPodFailurePolicy(job: ReadonlyDeep<Job>, pod: ReadonlyDeep<Pod>): PolicyMatch {
  const rules = job.spec.podFailurePolicy?.rules;
  if (!rules) return { countFailed: true };
  const podRef = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  for (const [i, rule] of rules.entries()) {
    let detail: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchExitCodes(pod.status?.containerStatuses, rule.onExitCodes) ?? matchExitCodes(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (cs) detail = `Container ${cs.name} for pod ${podRef} failed with exit code ${cs.state?.terminated?.exitCode} matching ${rule.action} rule at index ${i}`;
    } else if (rule.onPodConditions) {
      const cond = pod.status?.conditions?.find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (cond) detail = `Pod ${podRef} has condition ${cond.type} matching ${rule.action} rule at index ${i}`;
    }
    if (detail === undefined) continue;
    switch (rule.action) {
      case 'Ignore':
        return { action: 'Ignore', countFailed: false };
      case 'Count':
        return { action: 'Count', countFailed: true };
      case 'FailJob':
        return { action: 'FailJob', countFailed: true, failJobMessage: detail };
      case 'FailIndex':
        return { action: 'FailIndex', countFailed: true };
    }
  }
  return { countFailed: true };
}
