// The StatefulSet reconciler: observe (set, pods, claims, revisions from the cache), make sure the
// update revision exists, decide (pure `decideStatefulSet`), act (phases of pod and claim writes,
// guarded by expectations so a stale cache never repeats a creation or deletion), then write status
// and truncate history, as upstream's UpdateStatefulSet.
import { STATEFULSET } from '../../api/apps/types.ts';
import type { StatefulSet } from '../../api/apps/types.ts';
import { POD, PVC, STORAGE_CLASS } from '../../api/core/types.ts';
import type { PersistentVolumeClaim, Pod, StorageClass } from '../../api/core/types.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import { OWNER_UID_INDEX } from '../../runtime/cache/store.ts';
import type { Client } from '../../runtime/client/client.ts';
import { isNotFound } from '../../runtime/client/errors.ts';
import type { Expectations } from '../../runtime/controller/expectations.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import { requestKey } from '../../runtime/types.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { semanticallyEqual } from '../../runtime/util/equality.ts';
import { controllerRef, getControllerOf } from '../../runtime/util/owners.ts';
import { matchesSelector, validateSelector } from '../../runtime/util/selectors.ts';
import { StatefulSetActor } from './actions.ts';
import { decideStatefulSet } from './decide.ts';
import { deleteRevisions, ensureUpdateRevision, ownedRevisions } from './history.ts';
import { isMemberOf, revisionOf } from './identity.ts';
import { applyRevision, currentRevisionOf, revisionsToTruncate } from './revisions.ts';

export interface StatefulSetReconcilerDeps {
  client: Client;
  cache: Cache;
  expectations: Expectations;
  recorder: EventRecorder;
  clock: Clock;
}

export class StatefulSetReconciler implements Reconciler {
  private readonly deps: StatefulSetReconcilerDeps;
  private readonly actor: StatefulSetActor;

  constructor(deps: StatefulSetReconcilerDeps) {
    this.deps = deps;
    this.actor = new StatefulSetActor(deps);
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, client, expectations, recorder } = this.deps;
    const key = requestKey(req);
    const set = cache.get<StatefulSet>(STATEFULSET, req.namespace, req.name);
    if (!set) {
      expectations.delete(key);
      return {};
    }
    const selectorError = validateSelector(set.spec.selector);
    if (selectorError !== undefined) {
      // Admission should have caught it; without a usable selector there is nothing safe to do.
      recorder.event(set, 'Warning', 'InvalidSelector', 'Sync', `invalid selector: ${selectorError}`);
      return {};
    }
    if (!expectations.satisfied(key)) {
      ctx.log.debug(expectations.pending(key), 'waiting for the cache to see our pod writes');
      return {};
    }

    const owned = await ownedRevisions(client, cache, set);
    const { sorted, update, collisionCount } = await ensureUpdateRevision(client, set, owned);
    const current = currentRevisionOf(set, sorted, update);
    const pods = await this.podsOf(set);
    const namespace = set.metadata.namespace ?? '';
    const decision = decideStatefulSet({
      set,
      pods,
      claim: (name) => cache.get<PersistentVolumeClaim>(PVC, namespace, name),
      storageClass: (name) => cache.get<StorageClass>(STORAGE_CLASS, '', name),
      currentSet: applyRevision(set, current),
      updateSet: applyRevision(set, update),
      currentRevision: current.metadata.name!,
      updateRevision: update.metadata.name!,
      collisionCount,
      now: this.deps.clock.now(),
    });
    for (const event of decision.events) recorder.event(set, event.type, event.reason, 'Sync', event.message);

    let failure: Error | undefined;
    try {
      await this.actor.resize(set, decision.resizes);
      for (const phase of decision.phases) await this.actor.run(set, key, phase, ctx);
    } catch (err) {
      failure = err as Error;
    }
    // As upstream, the status is written even when an action failed; the error then retries the set.
    if (!semanticallyEqual(set.status ?? {}, decision.status)) {
      await client.updateStatus<StatefulSet>({ ...set, status: decision.status });
    }
    if (failure) throw failure;

    const live = new Set([current.metadata.name!, update.metadata.name!, ...pods.map(revisionOf)]);
    await deleteRevisions(client, revisionsToTruncate(sorted, live, set.spec.revisionHistoryLimit ?? 10));
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, decision.requeueAfterMs) } : {};
  }

  /**
   * The set's pods: those it controls whose names carry its name, plus orphans that match its
   * selector and name, adopted (upstream ClaimPods). A set being deleted adopts nothing.
   */
  private async podsOf(set: StatefulSet): Promise<Pod[]> {
    const { cache, client } = this.deps;
    const uid = set.metadata.uid!;
    const pods = cache.byIndex<Pod>(POD, OWNER_UID_INDEX, uid).filter((p) => getControllerOf(p)?.uid === uid && isMemberOf(set, p));
    if (set.metadata.deletionTimestamp) return pods;
    const orphans = cache
      .list<Pod>(POD, { namespace: set.metadata.namespace ?? '' })
      .filter((p) => !getControllerOf(p) && !p.metadata.deletionTimestamp && isMemberOf(set, p) && matchesSelector(set.spec.selector, p.metadata.labels));
    for (const orphan of orphans) {
      try {
        pods.push(
          await client.patch<Pod>(POD, orphan.metadata.namespace!, orphan.metadata.name!, {
            metadata: {
              ownerReferences: [...(orphan.metadata.ownerReferences ?? []), controllerRef(set, STATEFULSET)],
              resourceVersion: orphan.metadata.resourceVersion,
            },
          }, 'merge'),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return pods;
  }
}
