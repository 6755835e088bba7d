// Pods left holding the Job tracking finalizer with no Job to release it: their Job was deleted (`kubectl
// delete`, a CronJob's Replace, --cascade=orphan) or they were orphaned while the operator was down. Upstream
// takes the finalizer off such pods (deleteJob → cleanupPodFinalizers, syncOrphanPod); without that they stay
// Terminating forever. Pure selection here; the Job reconciler acts on it when its Job is gone.
import { JOB, LABEL_JOB_NAME, type Pod } from '../../api/batch/types.ts';
import type { MapFunc } from '../../runtime/controller/handler.ts';
import { gvkOf, type ReadonlyDeep } from '../../runtime/types.ts';
import { getControllerOf } from '../../runtime/util/owners.ts';
import { hasTrackingFinalizer } from './logic-pods.ts';

/** The Job `pod` belongs to: its controller if that is a Tentacle Job, else (orphaned) its job-name label. */
function jobNameOf(pod: ReadonlyDeep<Pod>): string | undefined {
  const ref = getControllerOf(pod);
  if (!ref) return pod.metadata.labels?.[LABEL_JOB_NAME];
  return ref.kind === JOB.kind && gvkOf(ref.apiVersion, ref.kind).group === JOB.group ? ref.name : undefined;
}

/**
 * The pods to release when no Job named `jobName` exists any more: those of `pods` that hold the tracking
 * finalizer and belonged to it. A pod controlled by anything else keeps its finalizers.
 */
export function orphansOfMissingJob(jobName: string, pods: readonly ReadonlyDeep<Pod>[]): ReadonlyDeep<Pod>[] {
  return pods.filter((pod) => hasTrackingFinalizer(pod) && jobNameOf(pod) === jobName);
}

/**
 * Maps a pod with the tracking finalizer and no controller (the garbage collector orphaned it) to the Job its
 * job-name label names, so that Job's reconcile releases it; pods with a controller reach their Job through
 * the owner reference.
 */
export const orphanedPodToJob: MapFunc<Pod> = (pod) => {
  if (getControllerOf(pod) || !hasTrackingFinalizer(pod)) return [];
  const name = pod.metadata.labels?.[LABEL_JOB_NAME];
  return name ? [{ namespace: pod.metadata.namespace ?? '', name }] : [];
};
