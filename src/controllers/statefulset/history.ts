// The act half of revision history: makes the update revision exist (create, with upstream's hash
// collision handling, or renumber on rollback), adopts orphaned revisions, and truncates history.
import { STATEFULSET } from '../../api/apps/types.ts';
import type { StatefulSet } from '../../api/apps/types.ts';
import { CONTROLLER_REVISION } from '../../api/core/types.ts';
import type { ControllerRevision } from '../../api/core/types.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import { OWNER_UID_INDEX } from '../../runtime/cache/store.ts';
import type { Client } from '../../runtime/client/client.ts';
import { isAlreadyExists } from '../../runtime/client/errors.ts';
import { adopt } from '../../runtime/controller/adoption.ts';
import { getControllerOf } from '../../runtime/util/owners.ts';
import { matchesSelector } from '../../runtime/util/selectors.ts';
import { equalRevisions, planUpdateRevision, sortRevisions, withCollisionCount } from './revisions.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export interface Revisions {
  /** Every revision the set owns, oldest first (including a just-created one). */
  sorted: readonly ReadonlyDeep<ControllerRevision>[];
  update: ReadonlyDeep<ControllerRevision>;
  collisionCount: number;
}

/**
 * Revisions the set controls, after adopting orphans that match its selector (as upstream), if
 * `canAdopt` confirms the set is not being deleted (the garbage collector orphans them then).
 */
export async function ownedRevisions(client: Client, cache: Cache, set: ReadonlyDeep<StatefulSet>, canAdopt: () => Promise<boolean>): Promise<ReadonlyDeep<ControllerRevision>[]> {
  const uid = set.metadata.uid!;
  const owned = cache.byIndex<ControllerRevision>(CONTROLLER_REVISION, OWNER_UID_INDEX, uid).filter((r) => getControllerOf(r)?.uid === uid);
  const orphans = cache
    .list<ControllerRevision>(CONTROLLER_REVISION, { namespace: set.metadata.namespace ?? '' })
    .filter((r) => !getControllerOf(r) && !r.metadata.deletionTimestamp && matchesSelector(set.spec.selector, r.metadata.labels));
  if (!orphans.length || !(await canAdopt())) return owned;
  for (const orphan of orphans) {
    const adopted = await adopt(client, CONTROLLER_REVISION, orphan, set, STATEFULSET);
    if (adopted) owned.push(adopted);
  }
  return owned;
}

/** Makes sure a revision of the set's current template exists and is the newest (upstream getStatefulSetRevisions). */
export async function ensureUpdateRevision(client: Client, cache: Cache, set: ReadonlyDeep<StatefulSet>, owned: readonly ReadonlyDeep<ControllerRevision>[]): Promise<Revisions> {
  let sorted = sortRevisions(owned);
  let collisionCount = set.status?.collisionCount ?? 0;
  const plan = planUpdateRevision(set, sorted);
  if (plan.type === 'existing') return { sorted, update: plan.revision, collisionCount };
  if (plan.type === 'renumber') {
    const update = await client.update<ControllerRevision>({ ...plan.revision, revision: plan.to });
    sorted = sortRevisions(sorted.map((r) => (r.metadata.name === update.metadata.name ? update : r)));
    return { sorted, update, collisionCount };
  }
  let candidate = plan.revision;
  for (;;) {
    try {
      const update = await client.create<ControllerRevision>(candidate);
      return { sorted: [...sorted, update], update, collisionCount };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    // The name is taken. If our cache does not show it yet, the cache is behind: retry once it does.
    // If it shows other data under that name, that is a hash collision: try the next collision count.
    const existing = cache.get<ControllerRevision>(CONTROLLER_REVISION, candidate.metadata.namespace!, candidate.metadata.name!);
    if (!existing || equalRevisions(existing, candidate)) {
      throw new Error(`revision ${candidate.metadata.name} exists but is not in the cache yet; retrying`);
    }
    collisionCount++;
    candidate = withCollisionCount(candidate, set.metadata.name!, collisionCount);
  }
}

export async function deleteRevisions(client: Client, revisions: readonly ReadonlyDeep<ControllerRevision>[]): Promise<void> {
  for (const revision of revisions) {
    await client.delete(CONTROLLER_REVISION, revision.metadata.namespace!, revision.metadata.name!, {
      preconditions: { uid: revision.metadata.uid! },
    });
  }
}
