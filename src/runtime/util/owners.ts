// Owner references, as metav1.NewControllerRef / metav1.GetControllerOf / metav1.IsControlledBy.

import { apiVersionOf, type GroupVersionKind, type OwnerReference, type ReadonlyDeep, type ReadonlyObject, type WithMetadata } from '../types.ts';

/**
 * A controller reference to `owner` (controller: true, blockOwnerDeletion: true), for the owned
 * object's metadata.ownerReferences. The kind comes from `gvk`, not from the object, because typed
 * objects read from the API often lack apiVersion/kind. Throws if the owner has no name or uid (the
 * API server would reject the reference).
 */
export function controllerRef(owner: ReadonlyObject, gvk: GroupVersionKind): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name) throw new Error(`controllerRef: owner ${gvk.kind} has no metadata.name`);
  if (!uid) throw new Error(`controllerRef: owner ${gvk.kind} ${name} has no metadata.uid (is it persisted yet?)`);
  return {
    apiVersion: apiVersionOf(gvk),
    kind: gvk.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The owner reference marked controller: true, if any (the first one; the API allows at most one). */
export function getControllerOf(obj: WithMetadata): ReadonlyDeep<OwnerReference> | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** Whether `obj`'s controller reference points at `owner`, compared by uid (false if owner has none). */
export function isControlledBy(obj: WithMetadata, owner: WithMetadata): boolean {
  const uid = owner.metadata.uid;
  return !!uid && getControllerOf(obj)?.uid === uid;
}

/** Whether any owner reference of `obj` (controller or not) has this uid. */
export function hasOwner(obj: WithMetadata, uid: string): boolean {
  return !!uid && (obj.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid);
}
