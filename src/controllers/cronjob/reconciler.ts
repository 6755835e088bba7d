// The CronJob reconciler's observe and act steps; `decideCronJob` decides. Jobs are created before
// the status records the schedule, and their names are deterministic, so a crash in between makes the
// next reconcile find the Job (AlreadyExists) instead of firing twice.
import { isAlreadyExists } from '../../runtime/client/errors.ts';
import type { Client } from '../../runtime/client/client.ts';
import { updateStatusIfChanged } from '../../runtime/client/status.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import { OWNER_UID_INDEX } from '../../runtime/cache/store.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { OwnWrites } from '../../runtime/controller/own-writes.ts';
import { getControllerOf } from '../../runtime/util/owners.ts';
import { CRONJOB, JOB, type CronJob, type CronJobStatus, type Job } from '../../api/batch/types.ts';
import { decideCronJob } from './decide.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export interface CronJobReconcilerDeps {
  client: Client;
  cache: Cache;
  recorder: EventRecorder;
  clock: Clock;
}

export class CronJobReconciler implements Reconciler {
  private readonly deps: CronJobReconcilerDeps;
  /** Jobs this process created, by CronJob UID, until the cache shows them. */
  private readonly ownJobs: OwnWrites<Job>;

  constructor(deps: CronJobReconcilerDeps) {
    this.deps = deps;
    this.ownJobs = new OwnWrites<Job>({ clock: deps.clock });
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, recorder } = this.deps;
    const client = this.deps.client.withSignal(ctx.signal);
    const cronJob = cache.get<CronJob>(CRONJOB, req.namespace, req.name);
    if (!cronJob) return {};
    const uid = cronJob.metadata.uid!;
    const now = this.deps.clock.now();
    const cached = cache.byIndex<Job>(JOB, OWNER_UID_INDEX, uid).filter((j) => getControllerOf(j)?.uid === uid);
    const jobs = [...cached, ...this.ownJobs.unseen(uid, cached)];
    const decision = decideCronJob({ cronJob, jobs, now });
    const status: CronJobStatus = { ...decision.status };

    for (const action of decision.actions) {
      if (action.type === 'deleteJob') {
        const { name, namespace } = action.job.metadata;
        if (await client.delete(JOB, namespace!, name!, { propagationPolicy: 'Background' })) {
          recorder.event(cronJob, 'Normal', 'SuccessfulDelete', 'Delete', `Deleted job ${name}`);
        }
        status.active = (status.active ?? []).filter((ref) => ref.uid !== action.job.metadata.uid);
        continue;
      }
      let created: Job;
      try {
        created = await client.create<Job>(action.job);
        recorder.event(cronJob, 'Normal', 'SuccessfulCreate', 'Create', `Created job ${created.metadata.name}`);
      } catch (err) {
        if (!isAlreadyExists(err)) {
          recorder.event(cronJob, 'Warning', 'FailedCreate', 'Create', `Error creating job: ${(err as Error).message}`);
          throw err;
        }
        created = await client.get<Job>(JOB, req.namespace, action.job.metadata.name!);
        ctx.log.info({ job: created.metadata.name }, 'job for this schedule exists already');
      }
      this.ownJobs.created(uid, created);
      // The decision lists the new Job by name (its uid was unknown); record the full reference.
      status.active = [...(status.active ?? []).filter((ref) => ref.name !== created.metadata.name), refTo(created)];
    }
    for (const event of decision.events) recorder.event(cronJob, event.type, event.reason, 'Sync', event.message);
    await updateStatusIfChanged(client, cronJob, status);
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, decision.requeueAfterMs) } : {};
  }
}

function refTo(job: ReadonlyDeep<Job>) {
  return {
    apiVersion: job.apiVersion,
    kind: job.kind,
    name: job.metadata.name,
    namespace: job.metadata.namespace,
    uid: job.metadata.uid,
    resourceVersion: job.metadata.resourceVersion,
  };
}

