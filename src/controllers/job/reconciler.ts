// The Job reconciler's observe and act steps; what to do is decided by the pure `decideJob`.
// Act order is what makes it crash-safe: (1) the status, recording every finished pod's UID, (2) only
// then the tracking finalizers come off those pods, (3) deletions, (4) creations in slow-start batches,
// each guarded by expectations so a stale cache never creates or deletes the same pods twice.
import { isAlreadyExists, isInvalid, isNotFound } from '../../runtime/client/errors.ts';
import type { Client } from '../../runtime/client/client.ts';
import { updateStatusIfChanged } from '../../runtime/client/status.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import { OWNER_UID_INDEX } from '../../runtime/cache/store.ts';
import type { Expectations } from '../../runtime/controller/expectations.ts';
import { OwnWrites } from '../../runtime/controller/own-writes.ts';
import { slowStartBatches } from '../../runtime/controller/slow-start.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import { quietOnAbort, type EventRecorder } from '../../runtime/events/recorder.ts';
import { requestKey, type ReadonlyDeep } from '../../runtime/types.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { getControllerOf } from '../../runtime/util/owners.ts';
import { FINALIZER_JOB_TRACKING, JOB, LABEL_CONTROLLER_UID, POD, type Job, type Pod } from '../../api/batch/types.ts';
import { decideJob, type JobAction } from './decide.ts';
import { orphansOfMissingJob } from './orphans.ts';

/** Upstream's slowStartInitialBatchSize: create 1, then 2, 4, … pods while creations keep succeeding. */
const SLOW_START_INITIAL_BATCH = 1;

export interface JobReconcilerDeps {
  client: Client;
  cache: Cache;
  expectations: Expectations;
  recorder: EventRecorder;
  clock: Clock;
}

export class JobReconciler implements Reconciler {
  private readonly deps: JobReconcilerDeps;
  /**
   * Status writes to Jobs, by key: while the cache still shows the version a write replaced, a decision
   * from it could only end in a conflicting write; the write's own watch event brings the Job back.
   */
  private readonly jobWrites: OwnWrites;
  /**
   * Tracking-finalizer removals, by pod UID: while the cache still shows the version this process
   * patched, the removal is not repeated (upstream's finalizer expectations); a repeat would fail its
   * test and count as an error.
   */
  private readonly podWrites: OwnWrites;

  constructor(deps: JobReconcilerDeps) {
    this.deps = deps;
    this.jobWrites = new OwnWrites({ clock: deps.clock });
    this.podWrites = new OwnWrites({ clock: deps.clock });
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, expectations } = this.deps;
    const client = this.deps.client.withSignal(ctx.signal);
    const key = requestKey(req);
    const job = cache.get<Job>(JOB, req.namespace, req.name);
    if (!job) {
      expectations.delete(key);
      this.jobWrites.forget(key);
      // Nothing else would ever take the tracking finalizer off the pods of a Job that is gone.
      const orphans = orphansOfMissingJob(req.name, cache.list<Pod>(POD, { namespace: req.namespace }));
      await Promise.all(orphans.map((pod) => this.removeFinalizer(client, pod)));
      if (orphans.length) ctx.log.info({ pods: orphans.length }, 'released the tracking finalizer of pods whose Job is gone');
      return {};
    }
    if (this.jobWrites.behind(key, job.metadata.resourceVersion)) return {};
    const uid = job.metadata.uid!;
    if (!job.spec.manualSelector && !job.spec.selector) {
      // As upstream's API server does at creation: the selector is the Job's own UID label (the
      // CRD lets it be set once). The update event brings us back with the new spec.
      await client.patch(JOB, req.namespace, req.name, { spec: { selector: { matchLabels: { [LABEL_CONTROLLER_UID]: uid } } } }, 'merge');
      return {};
    }
    const pods = cache.byIndex<Pod>(POD, OWNER_UID_INDEX, uid).filter((p) => getControllerOf(p)?.uid === uid);
    const decision = decideJob({
      job,
      pods,
      now: this.deps.clock.now(),
      expectationsSatisfied: expectations.satisfied(key),
    });

    if (decision.deleteJob) {
      await client.delete(JOB, req.namespace, req.name, {
        propagationPolicy: 'Background',
        preconditions: { uid },
      });
      ctx.log.info('deleted finished job after its TTL');
      return {};
    }

    if (await updateStatusIfChanged(client, job, decision.status)) this.jobWrites.updated(key, job.metadata.resourceVersion);
    for (const event of decision.events) this.deps.recorder.event(job, event.type, event.reason, 'Sync', event.message);
    for (const action of decision.actions) await this.act(client, job, key, action, ctx);
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, decision.requeueAfterMs) } : {};
  }

  private async act(client: Client, job: ReadonlyDeep<Job>, key: string, action: JobAction, ctx: ReconcileContext): Promise<void> {
    switch (action.type) {
      case 'removeFinalizer':
        await Promise.all(action.pods.map((pod) => this.removeFinalizer(client, pod)));
        return;
      case 'delete':
        await this.deletePods(client, job, key, action.pods, action.reason, ctx);
        return;
      case 'create':
        await this.createPods(client, job, key, action.pods, ctx);
        return;
    }
  }

  /** Removes only our finalizer, guarded by a test on that very list entry, so no other change is lost. */
  private async removeFinalizer(client: Client, pod: ReadonlyDeep<Pod>): Promise<void> {
    const index = pod.metadata.finalizers?.indexOf(FINALIZER_JOB_TRACKING) ?? -1;
    if (index < 0) return;
    const { uid, resourceVersion = '' } = pod.metadata;
    if (this.podWrites.behind(uid!, resourceVersion)) return;
    try {
      await client.patch(POD, pod.metadata.namespace!, pod.metadata.name!, [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: FINALIZER_JOB_TRACKING },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ], 'json');
    } catch (err) {
      if (isNotFound(err)) return;
      // The test failed: the live list differs from this (stale) copy. The pod's next watch event
      // brings the current list, and with it another pass.
      if (!isInvalid(err)) throw err;
    }
    this.podWrites.updated(uid!, resourceVersion);
  }

  private async deletePods(client: Client, job: ReadonlyDeep<Job>, key: string, pods: readonly ReadonlyDeep<Pod>[], reason: string, ctx: ReconcileContext): Promise<void> {
    const { expectations } = this.deps;
    const recorder = quietOnAbort(this.deps.recorder, ctx.signal);
    expectations.expectDeletions(key, pods.map((p) => p.metadata.uid!));
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        const deleted = await client.delete(POD, pod.metadata.namespace!, pod.metadata.name!, {
          preconditions: { uid: pod.metadata.uid! },
        });
        if (!deleted) expectations.deletionObserved(key, pod.metadata.uid!);
        recorder.event(job, 'Normal', 'SuccessfulDelete', 'Delete', `Deleted pod: ${pod.metadata.name} (${reason})`);
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ pod: pods[i]!, err: r.reason as Error }] : []));
    for (const { pod, err } of failed) {
      expectations.deletionObserved(key, pod.metadata.uid!);
      recorder.event(job, 'Warning', 'FailedDelete', 'Delete', `Error deleting pod ${pod.metadata.name}: ${err.message}`);
    }
    if (failed.length) throw failed[0]!.err;
  }

  /** Creates in batches of 1, 2, 4, …; stops at the first failing batch (as upstream's slow start). */
  private async createPods(client: Client, job: ReadonlyDeep<Job>, key: string, pods: Pod[], ctx: ReconcileContext): Promise<void> {
    const { expectations } = this.deps;
    const recorder = quietOnAbort(this.deps.recorder, ctx.signal);
    expectations.expectCreations(key, pods.length);
    const { attempted, skipped, failure } = await slowStartBatches(pods, (pod) => client.create<Pod>(pod), {
      initialBatch: SLOW_START_INITIAL_BATCH,
      // A named (indexed) pod that already exists will be seen by the informer: not a failure.
      isFailure: (err) => !isAlreadyExists(err),
    });
    for (const { item, result } of attempted) {
      if (result.status === 'fulfilled') {
        recorder.event(job, 'Normal', 'SuccessfulCreate', 'Create', `Created pod: ${result.value.metadata.name}`);
        continue;
      }
      if (isAlreadyExists(result.reason)) continue;
      expectations.creationObserved(key);
      const what = item.metadata.generateName ?? item.metadata.name;
      recorder.event(job, 'Warning', 'FailedCreate', 'Create', `Error creating pod for ${what}: ${(result.reason as Error).message}`);
    }
    if (failure) {
      // The pods never attempted will not be observed either.
      expectations.creationObserved(key, skipped.length);
      ctx.log.warn({ err: (failure.reason as Error).message, skipped: skipped.length }, 'pod creation failed; stopping this round');
      throw failure.reason;
    }
  }
}

