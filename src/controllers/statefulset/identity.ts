// A StatefulSet pod's stable identity and health, as upstream's stateful_set_utils.go: the name
// `<set>-<ordinal>`, hostname and subdomain, the pod-name / pod-index / revision labels, and one
// volume per claim template pointing at `<template>-<set>-<ordinal>`.
import { LABEL_POD_INDEX, LABEL_POD_NAME, LABEL_REVISION_HASH, STATEFULSET } from '../../api/apps/types.ts';
import type { StatefulSet } from '../../api/apps/types.ts';
import { POD } from '../../api/core/types.ts';
import type { Pod, PodSpec, Volume } from '../../api/core/types.ts';
import { apiVersionOf, mutableCopy, type ReadonlyDeep } from '../../runtime/types.ts';
import { controllerRef } from '../../runtime/util/owners.ts';
import { parseTimeOrUndefined } from '../../runtime/util/time.ts';

const statefulPodName = /^(.*)-([0-9]+)$/;
const MAX_INT32 = 2_147_483_647;

/** The parent name and ordinal a pod name encodes; ordinal -1 when it encodes none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const match = statefulPodName.exec(podName);
  if (!match) return { parent: '', ordinal: -1 };
  const ordinal = Number(match[2]);
  return { parent: match[1]!, ordinal: ordinal <= MAX_INT32 ? ordinal : -1 };
}

export function ordinalOf(pod: ReadonlyDeep<Pod>): number {
  return parentAndOrdinal(pod.metadata.name ?? '').ordinal;
}

export function startOrdinal(set: ReadonlyDeep<StatefulSet>): number {
  return set.spec.ordinals?.start ?? 0;
}

export function replicasOf(set: ReadonlyDeep<StatefulSet>): number {
  return set.spec.replicas ?? 1;
}

/** The last ordinal in range (start - 1 when replicas is 0). */
export function endOrdinal(set: ReadonlyDeep<StatefulSet>): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

export function inOrdinalRange(pod: ReadonlyDeep<Pod>, set: ReadonlyDeep<StatefulSet>): boolean {
  const ordinal = ordinalOf(pod);
  return ordinal >= startOrdinal(set) && ordinal <= endOrdinal(set);
}

export function podName(set: ReadonlyDeep<StatefulSet>, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(set: ReadonlyDeep<StatefulSet>, templateName: string, ordinal: number): string {
  return `${templateName}-${set.metadata.name}-${ordinal}`;
}

/** Whether the pod's name says it belongs to this set (upstream isMemberOf). */
export function isMemberOf(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): boolean {
  return parentAndOrdinal(pod.metadata.name ?? '').parent === set.metadata.name;
}

export function identityMatches(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata.name ?? '');
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[LABEL_POD_NAME] === pod.metadata.name
  );
}

export function storageMatches(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  return (set.spec.volumeClaimTemplates ?? []).every((template) => {
    const name = template.metadata.name ?? '';
    return volumes.get(name)?.persistentVolumeClaim?.claimName === claimName(set, name, ordinal);
  });
}

/**
 * Sets the name, namespace and the pod-name / pod-index labels (upstream updateIdentity). The result
 * shares what it does not change with `pod`, so it is mutable only when `pod` is (a new pod).
 */
export function withIdentity(set: ReadonlyDeep<StatefulSet>, pod: Pod): Pod;
export function withIdentity(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): ReadonlyDeep<Pod>;
export function withIdentity(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): ReadonlyDeep<Pod> {
  const ordinal = ordinalOf(pod);
  const name = podName(set, ordinal);
  const labels = { ...(pod.metadata.labels ?? {}), [LABEL_POD_NAME]: name, [LABEL_POD_INDEX]: String(ordinal) };
  const metadata = { ...pod.metadata, name, labels };
  if (set.metadata.namespace !== undefined) metadata.namespace = set.metadata.namespace;
  return { ...pod, metadata };
}

/** One PVC volume per claim template first, then the pod's other volumes (upstream updateStorage). */
export function withStorage(set: ReadonlyDeep<StatefulSet>, pod: Pod): Pod;
export function withStorage(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): ReadonlyDeep<Pod>;
export function withStorage(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): ReadonlyDeep<Pod> {
  const ordinal = ordinalOf(pod);
  const templates = (set.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name ?? '');
  const claimVolumes: Volume[] = templates.map((name) => ({
    name,
    persistentVolumeClaim: { claimName: claimName(set, name, ordinal) },
  }));
  const others = (pod.spec.volumes ?? []).filter((v) => !templates.includes(v.name));
  const volumes = [...claimVolumes, ...others];
  return { ...pod, spec: { ...pod.spec, volumes } };
}

/**
 * The strategic merge patch that gives a cached pod what `desired` (withStorage ∘ withIdentity of it)
 * adds: the identity labels and the claim volumes (merged by name), guarded by the pod's
 * resourceVersion as upstream's update is. A patch, not an update: the cache keeps only the pod fields
 * this controller reads (index.ts), so a cached pod cannot be written back whole.
 */
export function identityPatch(set: ReadonlyDeep<StatefulSet>, desired: ReadonlyDeep<Pod>): object {
  const labels = desired.metadata.labels ?? {};
  const templates = new Set((set.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name ?? ''));
  const claimVolumes = (desired.spec.volumes ?? []).filter((v) => templates.has(v.name));
  return {
    metadata: {
      resourceVersion: desired.metadata.resourceVersion,
      labels: { [LABEL_POD_NAME]: labels[LABEL_POD_NAME], [LABEL_POD_INDEX]: labels[LABEL_POD_INDEX] },
    },
    ...(claimVolumes.length ? { spec: { volumes: claimVolumes } } : {}),
  };
}

/**
 * The pod for `ordinal` from `set`'s template (upstream newStatefulSetPod + setPodRevision): template
 * labels, annotations and finalizers, a controller reference, hostname = pod name, subdomain =
 * serviceName, identity labels, claim volumes and the revision label.
 */
export function newStatefulPod(set: ReadonlyDeep<StatefulSet>, ordinal: number, revision: string): Pod {
  const template = set.spec.template;
  const spec = mutableCopy<PodSpec>(template.spec);
  const name = podName(set, ordinal);
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  else delete spec.subdomain;
  const metadata: Pod['metadata'] = {
    name,
    labels: { ...(template.metadata?.labels ?? {}), [LABEL_REVISION_HASH]: revision },
    ownerReferences: [controllerRef(set, STATEFULSET)],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers) metadata.finalizers = [...template.metadata.finalizers];
  const pod: Pod = { apiVersion: apiVersionOf(POD), kind: POD.kind, metadata, spec };
  return withStorage(set, withIdentity(set, pod));
}

export function revisionOf(pod: ReadonlyDeep<Pod>): string {
  return pod.metadata.labels?.[LABEL_REVISION_HASH] ?? '';
}

// Health, as upstream: a pod "is created" once the API server has given it a phase.
export function isCreated(pod: ReadonlyDeep<Pod>): boolean {
  return !!pod.status?.phase;
}
export function isPending(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.phase === 'Pending';
}
export function isFailed(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.phase === 'Failed';
}
export function isSucceeded(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.phase === 'Succeeded';
}
export function isTerminating(pod: ReadonlyDeep<Pod>): boolean {
  return !!pod.metadata.deletionTimestamp;
}

function readyCondition(pod: ReadonlyDeep<Pod>) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: ReadonlyDeep<Pod>): boolean {
  return readyCondition(pod)?.status === 'True';
}

export function isRunningAndReady(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/**
 * podutil.IsPodAvailable: Ready, and Ready for at least minReadySeconds (a Ready condition without a
 * transition time counts as available only when minReadySeconds is 0).
 */
export function isAvailable(pod: ReadonlyDeep<Pod>, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds === 0) return true;
  const since = parseTimeOrUndefined(readyCondition(pod)?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/** When a Ready pod becomes available, if it is not yet (for requeueing). */
export function availableAt(pod: ReadonlyDeep<Pod>, minReadySeconds: number): number | undefined {
  if (!isPodReady(pod) || minReadySeconds === 0) return undefined;
  const since = parseTimeOrUndefined(readyCondition(pod)?.lastTransitionTime);
  return since === undefined ? undefined : since + minReadySeconds * 1000;
}

export function isUnavailable(pod: ReadonlyDeep<Pod>, minReadySeconds: number, now: number): boolean {
  return !isAvailable(pod, minReadySeconds, now) || isTerminating(pod);
}
