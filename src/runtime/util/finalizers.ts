// Finalizer list helpers (pure: new arrays, inputs untouched), and a JSON Patch that writes the list
// only if the object has not changed since it was read.

import type { WithMetadata } from '../types.ts';

/** One RFC 6902 operation (the subset this module produces). */
export type JsonPatchOperation =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export function hasFinalizer(obj: WithMetadata, name: string): boolean {
  return obj.metadata.finalizers?.includes(name) ?? false;
}

/** A new list with `name` appended, unless already present (then an unchanged copy). */
export function withFinalizer(finalizers: readonly string[] | undefined | null, name: string): string[] {
  const list = [...(finalizers ?? [])];
  if (!list.includes(name)) list.push(name);
  return list;
}

/** A new list without `name` (every occurrence). */
export function withoutFinalizer(finalizers: readonly string[] | undefined | null, name: string): string[] {
  return (finalizers ?? []).filter((f) => f !== name);
}

/**
 * A JSON Patch (send as application/json-patch+json) setting metadata.finalizers to `finalizers`,
 * guarded by a `test` of metadata.resourceVersion: if the object changed since `obj` was read, the
 * API server rejects the patch instead of overwriting a list another writer changed. Note that the
 * API server reports a failed `test` op as 422 Unprocessable Entity (the patch does not apply), not
 * 409 Conflict: callers should treat a 422 on this patch as "changed meanwhile", re-read and retry.
 * `add` is used because it creates or replaces the member. Throws if `obj` has no resourceVersion,
 * since the guard would then be meaningless.
 */
export function finalizerPatch(obj: WithMetadata, finalizers: readonly string[]): JsonPatchOperation[] {
  const rv = obj.metadata.resourceVersion;
  if (!rv) throw new Error('finalizerPatch: object has no metadata.resourceVersion to guard the patch with');
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: rv },
    { op: 'add', path: '/metadata/finalizers', value: [...finalizers] },
  ];
}
