// Handlers turn a watched object into the requests to reconcile (controller-runtime's handler package).
import { gvkOf, type GroupVersionKind, type KubeObject, type ReadonlyDeep, type Request } from '../types.ts';

/** Maps a watched object (the cache's own, so read-only) to the requests it concerns. */
export type MapFunc<T extends KubeObject = KubeObject> = (obj: ReadonlyDeep<T>) => Request[];

/** The object itself (for the primary kind). */
export const enqueueForObject: MapFunc = (obj) => [{ namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' }];

/** The object's controlling owner, when that owner is of `owner`'s group and kind. */
export function enqueueForOwner(owner: GroupVersionKind): MapFunc {
  return (obj) => {
    const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
    if (!ref || ref.kind !== owner.kind || gvkOf(ref.apiVersion, ref.kind).group !== owner.group) return [];
    return [{ namespace: obj.metadata.namespace ?? '', name: ref.name }];
  };
}
