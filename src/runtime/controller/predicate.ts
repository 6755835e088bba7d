// Predicates filter watch events before they become work, as controller-runtime's predicate package.
import type { KubeObject, ReadonlyDeep } from '../types.ts';

export interface Predicate<T extends KubeObject = KubeObject> {
  create?(obj: ReadonlyDeep<T>): boolean;
  update?(oldObj: ReadonlyDeep<T>, newObj: ReadonlyDeep<T>): boolean;
  delete?(obj: ReadonlyDeep<T>): boolean;
}

/** Updates pass only when metadata.generation changed (spec changes; status-only writes are dropped). */
export const generationChanged: Predicate = {
  update: (o, n) => o.metadata.generation !== n.metadata.generation,
};

export const resourceVersionChanged: Predicate = {
  update: (o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion,
};

export const labelsChanged: Predicate = {
  update: (o, n) => !sameRecord(o.metadata.labels, n.metadata.labels),
};

export const annotationsChanged: Predicate = {
  update: (o, n) => !sameRecord(o.metadata.annotations, n.metadata.annotations),
};

/** Passes when any of the predicates passes. */
export function or<T extends KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.some((p) => p.create?.(obj) ?? true),
    update: (o, n) => ps.some((p) => p.update?.(o, n) ?? true),
    delete: (obj) => ps.some((p) => p.delete?.(obj) ?? true),
  };
}

export function passes<T extends KubeObject>(
  predicates: Predicate<T>[],
  event: 'create' | 'update' | 'delete',
  obj: ReadonlyDeep<T>,
  newObj?: ReadonlyDeep<T>,
): boolean {
  for (const p of predicates) {
    if (event === 'create' && p.create && !p.create(obj)) return false;
    if (event === 'update' && p.update && !p.update(obj, newObj!)) return false;
    if (event === 'delete' && p.delete && !p.delete(obj)) return false;
  }
  return true;
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a![k] === b?.[k]);
}
