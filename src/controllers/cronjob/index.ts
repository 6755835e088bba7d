// Wires the CronJob controller into a manager: CronJobs and the Jobs they own.
import type { Manager } from '../../runtime/manager/manager.ts';
import { CRONJOB, JOB, type CronJob, type Job } from '../../api/batch/types.ts';
import { CronJobReconciler } from './reconciler.ts';

/** Upstream's default --concurrent-cron-job-syncs. */
export const DEFAULT_WORKERS = 5;

export function setupCronJobController(manager: Manager, options: { workers?: number } = {}): void {
  manager
    .controller('cronjob')
    .for<CronJob>(CRONJOB)
    .owns<Job>(JOB)
    .withOptions({ maxConcurrentReconciles: options.workers ?? DEFAULT_WORKERS })
    .complete(
      new CronJobReconciler({
        client: manager.client,
        cache: manager.cache,
        recorder: manager.eventRecorder('tentacle.dev/cronjob-controller'),
        clock: manager.clock,
      }),
    );
}
