// Adopting an orphan, as upstream's ControllerRefManager: add the owner's controller reference with a
// merge patch guarded by the orphan's resourceVersion, so a concurrent change (another controller
// adopting it first) fails with a conflict instead of being overwritten.
import type { Client } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { GroupVersionKind, Kind, KubeObject, ReadonlyDeep, ReadonlyObject } from '../types.ts';
import { controllerRef } from '../util/owners.ts';

/** The adopted object, or undefined if the orphan is gone. */
export async function adopt<T extends KubeObject>(client: Client, gvk: Kind<T>, orphan: ReadonlyDeep<T>, owner: ReadonlyObject, ownerGvk: GroupVersionKind): Promise<T | undefined> {
  const { namespace, name, ownerReferences, resourceVersion } = orphan.metadata;
  try {
    return await client.patch<T>(gvk, namespace ?? '', name!, {
      metadata: { ownerReferences: [...(ownerReferences ?? []), controllerRef(owner, ownerGvk)], resourceVersion },
    }, 'merge');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
