// The PersistentVolumeClaims of a StatefulSet pod and the retention policy's owner references, as
// upstream's getPersistentVolumeClaims / isClaimOwnerUpToDate / updateClaimOwnerRefForSetAndPod:
// whenDeleted=Delete makes the set own the claims of pods in range, whenScaled=Delete makes a
// scaled-down pod own its claims, so the garbage collector removes them with their owner.
import { STATEFULSET } from '../../api/apps/types.ts';
import type { StatefulSet } from '../../api/apps/types.ts';
import { POD, PVC } from '../../api/core/types.ts';
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec, Pod } from '../../api/core/types.ts';
import { apiVersionOf, mutableCopy, type GroupVersionKind, type OwnerReference, type ReadonlyDeep } from '../../runtime/types.ts';
import { controllerRef } from '../../runtime/util/owners.ts';
import { claimName, inOrdinalRange, ordinalOf } from './identity.ts';

/** The claims the pod at `ordinal` mounts, keyed by template name, as they would be created. */
export function claimsFor(set: ReadonlyDeep<StatefulSet>, ordinal: number): Map<string, PersistentVolumeClaim> {
  const claims = new Map<string, PersistentVolumeClaim>();
  for (const template of set.spec.volumeClaimTemplates ?? []) {
    const templateName = template.metadata.name ?? '';
    const labels = { ...(template.metadata.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) };
    const metadata: PersistentVolumeClaim['metadata'] = { name: claimName(set, templateName, ordinal), labels };
    if (set.metadata.namespace !== undefined) metadata.namespace = set.metadata.namespace;
    if (template.metadata.annotations) metadata.annotations = { ...template.metadata.annotations };
    claims.set(templateName, { apiVersion: apiVersionOf(PVC), kind: PVC.kind, metadata, spec: mutableCopy<PersistentVolumeClaimSpec>(template.spec) });
  }
  return claims;
}

export function retentionPolicy(set: ReadonlyDeep<StatefulSet>): { whenDeleted: 'Retain' | 'Delete'; whenScaled: 'Retain' | 'Delete' } {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: policy?.whenDeleted ?? 'Retain', whenScaled: policy?.whenScaled ?? 'Retain' };
}

function matchesRef(ref: ReadonlyDeep<OwnerReference>, name: string | undefined, gvk: GroupVersionKind): boolean {
  return ref.apiVersion === apiVersionOf(gvk) && ref.kind === gvk.kind && ref.name === name;
}

function refs(claim: ReadonlyDeep<PersistentVolumeClaim>): ReadonlyDeep<OwnerReference>[] {
  return [...(claim.metadata.ownerReferences ?? [])];
}

function hasOwnerRef(claim: ReadonlyDeep<PersistentVolumeClaim>, uid: string | undefined): boolean {
  return !!uid && refs(claim).some((r) => r.uid === uid);
}

/** A reference to an earlier object of the same name (a pod or set since recreated). */
export function hasStaleOwnerRef(claim: ReadonlyDeep<PersistentVolumeClaim>, owner: { metadata: { name?: string; uid?: string } }, gvk: GroupVersionKind): boolean {
  const ref = refs(claim).find((r) => matchesRef(r, owner.metadata.name, gvk));
  return ref !== undefined && ref.uid !== owner.metadata.uid;
}

/** Another controller owns the claim, so the retention policy leaves it alone. */
export function hasUnexpectedController(claim: ReadonlyDeep<PersistentVolumeClaim>, set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): boolean {
  const policy = retentionPolicy(set);
  if (policy.whenScaled === 'Retain' && policy.whenDeleted === 'Retain') return false;
  for (const ref of refs(claim)) {
    if (matchesRef(ref, set.metadata.name, STATEFULSET)) {
      if (ref.uid !== set.metadata.uid) return true;
      continue;
    }
    if (matchesRef(ref, pod.metadata.name, POD)) {
      if (ref.uid !== pod.metadata.uid) return true;
      continue;
    }
    if (ref.controller) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: ReadonlyDeep<PersistentVolumeClaim>, set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): boolean {
  return refs(claim).some((r) => (r.uid === set.metadata.uid || r.uid === pod.metadata.uid) && !r.controller);
}

/** Whether the claim's owner references already say what the retention policy wants. */
export function claimOwnerUpToDate(claim: ReadonlyDeep<PersistentVolumeClaim>, set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): boolean {
  if (hasStaleOwnerRef(claim, set, STATEFULSET) || hasStaleOwnerRef(claim, pod, POD)) return true; // GC's turn
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set.metadata.uid) || hasOwnerRef(claim, pod.metadata.uid));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const { whenDeleted, whenScaled } = retentionPolicy(set);
  const scaledDown = !inOrdinalRange(pod, set);
  const ownedBySet = hasOwnerRef(claim, set.metadata.uid);
  const ownedByPod = hasOwnerRef(claim, pod.metadata.uid);
  if (whenScaled === 'Retain' && whenDeleted === 'Retain') return !ownedBySet && !ownedByPod;
  if (whenScaled === 'Retain') return ownedBySet && !ownedByPod;
  if (whenDeleted === 'Retain') return !ownedBySet && scaledDown === ownedByPod;
  return scaledDown !== ownedBySet && scaledDown === ownedByPod;
}

/** The claim's owner references as the retention policy wants them (upstream updateClaimOwnerRefForSetAndPod). */
export function ownerRefsForPolicy(claim: ReadonlyDeep<PersistentVolumeClaim>, set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): ReadonlyDeep<OwnerReference>[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  const kept = refs(claim).filter((r) => !matchesRef(r, set.metadata.name, STATEFULSET) && !matchesRef(r, pod.metadata.name, POD));
  if (unexpected) return kept;
  const { whenDeleted, whenScaled } = retentionPolicy(set);
  const scaledDown = !inOrdinalRange(pod, set);
  const add = (owner: ReadonlyDeep<Pod> | ReadonlyDeep<StatefulSet>, gvk: GroupVersionKind) => {
    if (!kept.some((r) => r.uid === owner.metadata.uid)) kept.push(controllerRef(owner, gvk));
  };
  if (whenScaled === 'Delete' && scaledDown) add(pod, POD);
  if (whenDeleted === 'Delete' && !(whenScaled === 'Delete' && scaledDown)) add(set, STATEFULSET);
  return kept;
}

/** Whether a claim of this pod still belongs to an earlier pod of the same name, soon to be collected. */
export function podClaimIsStale(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>, existing: (name: string) => ReadonlyDeep<PersistentVolumeClaim> | undefined): boolean {
  if (retentionPolicy(set).whenScaled === 'Retain') return false;
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const found = existing(claim.metadata.name!);
    if (found && hasStaleOwnerRef(found, pod, POD)) return true;
  }
  return false;
}
