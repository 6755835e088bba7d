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
import { updateStatusIfChanged } from '../../runtime/client/status.ts';
import { adopt } from '../../runtime/controller/adoption.ts';
import type { Expectations } from '../../runtime/controller/expectations.ts';
import { OwnWrites } from '../../runtime/controller/own-writes.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import { requestKey, type ReadonlyDeep } from '../../runtime/types.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { getControllerOf } from '../../runtime/util/owners.ts';
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
  /** Status writes, by set: a cache that still shows the version one replaced is behind it. */
  private readonly setWrites: OwnWrites;

  constructor(deps: StatefulSetReconcilerDeps) {
    this.deps = deps;
    this.setWrites = new OwnWrites({ clock: deps.clock });
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, expectations, recorder } = this.deps;
    const client = this.deps.client.withSignal(ctx.signal);
    const key = requestKey(req);
    const set = cache.get<StatefulSet>(STATEFULSET, req.namespace, req.name);
    if (!set) {
      expectations.delete(key);
      this.setWrites.forget(key);
      return {};
    }
    const selectorError = validateSelector(set.spec.selector);
    if (selectorError !== undefined) {
      // Admission should have caught it; without a usable selector there is nothing safe to do.
      recorder.event(set, 'Warning', 'InvalidSelector', 'Sync', `invalid selector: ${selectorError}`);
      return {};
    }
    if (this.setWrites.behind(key, set.metadata.resourceVersion)) {
      ctx.log.debug('waiting for the cache to see our last status write');
      return {};
    }
    if (!expectations.satisfied(key)) {
      ctx.log.debug(expectations.pending(key), 'waiting for the cache to see our pod writes');
      return {};
    }

    const canAdopt = this.adoptionCheck(client, set);
    const owned = await ownedRevisions(client, cache, set, canAdopt);
    const { sorted, update, collisionCount } = await ensureUpdateRevision(client, cache, set, owned);
    const current = currentRevisionOf(set, sorted, update);
    const pods = await this.podsOf(client, set, canAdopt);
    const namespace = set.metadata.namespace ?? '';
    const decision = decideStatefulSet({
      set,
      pods,
      claim: (name) => cache.get<PersistentVolumeClaim>(PVC, namespace, name),
      claims: () => cache.list<PersistentVolumeClaim>(PVC, { namespace }),
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
      const actor = new StatefulSetActor({ client, expectations, recorder });
      await actor.resize(set, key, decision.resizes);
      for (const phase of decision.phases) await actor.run(set, key, phase, ctx);
    } catch (err) {
      failure = err as Error;
    }
    // As upstream, the status is written even when an action failed; the error then retries the set.
    if (await updateStatusIfChanged(client, set, decision.status)) this.setWrites.updated(key, set.metadata.resourceVersion);
    if (failure) throw failure;

    const live = new Set([current.metadata.name!, update.metadata.name!, ...pods.map(revisionOf)]);
    await deleteRevisions(client, revisionsToTruncate(sorted, live, set.spec.revisionHistoryLimit ?? 10));
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, decision.requeueAfterMs) } : {};
  }

  /**
   * Whether the set may adopt orphans, asked of the API server at most once per reconcile (upstream's
   * RecheckDeletionTimestamp): while `kubectl delete --cascade=orphan` runs, the garbage collector
   * strips owner references that a cached, not-yet-deleting set would put straight back, and the
   * collector would then delete what it had just orphaned.
   */
  private adoptionCheck(client: Client, set: ReadonlyDeep<StatefulSet>): () => Promise<boolean> {
    let answer: Promise<boolean> | undefined;
    return () => {
      answer ??= (async () => {
        if (set.metadata.deletionTimestamp) return false;
        const fresh = await client.find<StatefulSet>(STATEFULSET, set.metadata.namespace ?? '', set.metadata.name!);
        return !!fresh && fresh.metadata.uid === set.metadata.uid && !fresh.metadata.deletionTimestamp;
      })();
      return answer;
    };
  }

  /**
   * The set's pods: those it controls whose names carry its name, plus orphans that match its
   * selector and name, adopted (upstream ClaimPods) when `canAdopt` allows.
   */
  private async podsOf(client: Client, set: ReadonlyDeep<StatefulSet>, canAdopt: () => Promise<boolean>): Promise<ReadonlyDeep<Pod>[]> {
    const { cache } = this.deps;
    const uid = set.metadata.uid!;
    const pods = cache.byIndex<Pod>(POD, OWNER_UID_INDEX, uid).filter((p) => getControllerOf(p)?.uid === uid && isMemberOf(set, p));
    // The selector narrows the list through the store's label index; matchesSelector keeps a nil
    // selector matching nothing (the store lists everything without one).
    const orphans = cache
      .list<Pod>(POD, { namespace: set.metadata.namespace ?? '', ...(set.spec.selector ? { selector: set.spec.selector } : {}) })
      .filter((p) => !getControllerOf(p) && !p.metadata.deletionTimestamp && isMemberOf(set, p) && matchesSelector(set.spec.selector, p.metadata.labels));
    if (!orphans.length || !(await canAdopt())) return pods;
    for (const orphan of orphans) {
      const adopted = await adopt(client, POD, orphan, set, STATEFULSET);
      if (adopted) pods.push(adopted);
    }
    return pods;
  }
}
