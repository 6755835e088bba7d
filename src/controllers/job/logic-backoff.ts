// Pod-failure backoff before replacement pods are created (upstream backoff_utils.go), computed from
// the observed pods alone: upstream keeps the consecutive-failure count in memory and updates it with
// the pods it counts each sync; here it is rebuilt each time from the finished pods still visible.
import type { Job, Pod } from '../../api/batch/types.ts';
import { finishedTime, hasTrackingFinalizer, indexAbsoluteFailureCount, isDeleting, isPodFailed } from './logic-pods.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

/** Upstream DefaultJobPodFailureBackOff. */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
/** Upstream MaxJobPodFailureBackOff. */
export const MAX_POD_FAILURE_BACKOFF_MS = 360_000;

/** The delay after `failures` consecutive failures: 10 s × 2^(failures−1), capped at 6 minutes; 0 for none. */
export function backoffDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  let d = DEFAULT_POD_FAILURE_BACKOFF_MS;
  for (let i = 1; i < failures; i++) {
    d *= 2;
    if (d >= MAX_POD_FAILURE_BACKOFF_MS) return MAX_POD_FAILURE_BACKOFF_MS;
  }
  return d;
}

/** How long until a replacement may be created, given the failures and the last one's time (0: now). */
export function remainingBackoffMs(failures: number, lastFailureMs: number, now: number): number {
  if (failures <= 0) return 0;
  const delay = backoffDelayMs(failures);
  const elapsed = now - lastFailureMs;
  return delay < elapsed ? 0 : delay - elapsed;
}

export interface BackoffRecord {
  /** Failed pods that finished after the last succeeded pod. */
  failuresAfterLastSuccess: number;
  /** When the latest of those failed (ms), undefined when there are none. */
  lastFailureTime?: number;
}

/**
 * The Job-wide backoff record from the visible pods: failures (as isPodFailed judges them) finishing
 * after the latest success. Pods that are being deleted and no longer carry the tracking finalizer are
 * left out: those are the ones the controller itself removed (scale-down, suspend) or already counted
 * and released, and upstream never feeds them to its record either.
 */
export function backoffRecordFromPods(job: ReadonlyDeep<Job>, pods: readonly ReadonlyDeep<Pod>[]): BackoffRecord {
  let lastSuccess = -Infinity;
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded') lastSuccess = Math.max(lastSuccess, finishedTime(p));
  }
  let failures = 0;
  let lastFailure: number | undefined;
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    if (isDeleting(p) && !hasTrackingFinalizer(p)) continue;
    const t = finishedTime(p);
    if (t <= lastSuccess) continue;
    failures++;
    if (lastFailure === undefined || t > lastFailure) lastFailure = t;
  }
  return lastFailure === undefined ? { failuresAfterLastSuccess: 0 } : { failuresAfterLastSuccess: failures, lastFailureTime: lastFailure };
}

/** Upstream getRemainingTimePerIndex: backoff for an index from its last failed pod (undefined: none). */
export function remainingBackoffForIndexMs(lastFailedPod: ReadonlyDeep<Pod> | undefined, now: number): number {
  if (!lastFailedPod) return 0;
  return remainingBackoffMs(indexAbsoluteFailureCount(lastFailedPod) + 1, finishedTime(lastFailedPod), now);
}
