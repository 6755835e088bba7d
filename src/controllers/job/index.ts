// Wires the Job controller into a manager: Jobs and the pods they control (and orphaned pods that still
// hold its finalizer), expectations fed by the pod informer, and upstream's 1 s batching of pod events
// and of Job updates that leave the spec alone (chiefly the controller's own status writes).
import type { FieldSet } from '../../runtime/cache/fields.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { Expectations, observeChildren } from '../../runtime/controller/expectations.ts';
import { enqueueForObject, enqueueForOwner } from '../../runtime/controller/handler.ts';
import { generationChanged, type Predicate } from '../../runtime/controller/predicate.ts';
import { requestKey } from '../../runtime/types.ts';
import { JOB, POD, type Job, type Pod } from '../../api/batch/types.ts';
import { orphanedPodToJob } from './orphans.ts';
import { JobReconciler } from './reconciler.ts';

/** Upstream's syncJobBatchPeriod: pod events, and Job updates without a spec change, within this window merge into one sync. */
export const POD_EVENT_BATCH_MS = 1000;

/** Updates that keep the generation (status, labels, annotations): upstream syncs them batched, not at once. */
export const sameGenerationUpdate: Predicate = {
  create: () => false,
  update: (o, n) => o.metadata.generation === n.metadata.generation,
  delete: () => false,
};
/**
 * What the Job controller reads of a pod besides its metadata: the node (to delete unscheduled pods
 * first) and the whole status (phase, conditions, container statuses for the pod failure policy).
 */
export const POD_FIELDS: FieldSet = { spec: { nodeName: true }, status: true };

/** Upstream's default --concurrent-job-syncs. */
export const DEFAULT_WORKERS = 5;

export function setupJobController(manager: Manager, options: { workers?: number } = {}): void {
  const expectations = new Expectations({ clock: manager.clock });
  const ownerOf = enqueueForOwner(JOB);
  manager.cache.informerFor<Pod>(POD, { fields: POD_FIELDS }).addHandler(observeChildren<Pod>(expectations, (pod) => ownerOf(pod).map(requestKey)));
  manager
    .controller('job')
    .for<Job>(JOB, { predicates: [generationChanged] })
    .watches<Job>(JOB, enqueueForObject, { predicates: [sameGenerationUpdate], delayMs: POD_EVENT_BATCH_MS })
    .owns<Pod>(POD, { delayMs: POD_EVENT_BATCH_MS, informer: { fields: POD_FIELDS } })
    // Pods the garbage collector orphaned still holding the tracking finalizer: their Job releases them.
    .watches<Pod>(POD, orphanedPodToJob, { informer: { fields: POD_FIELDS } })
    .withOptions({ maxConcurrentReconciles: options.workers ?? DEFAULT_WORKERS })
    .complete(
      new JobReconciler({
        client: manager.client,
        cache: manager.cache,
        expectations,
        recorder: manager.eventRecorder('tentacle.dev/job-controller'),
        clock: manager.clock,
      }),
    );
}
