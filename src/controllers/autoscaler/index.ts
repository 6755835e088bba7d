// Wires the HorizontalPodAutoscaler controller into a manager: HPAs (spec changes act at once; status
// writes don't trigger a sync) and pods (read from the cache for readiness and requests, not watched
// for work: every HPA is re-synced each SYNC_PERIOD_MS, as upstream).
import type { FieldSet } from '../../runtime/cache/fields.ts';
import { HORIZONTAL_POD_AUTOSCALER, type HorizontalPodAutoscaler } from '../../api/autoscaling/types.ts';
import { POD } from '../../api/core/types.ts';
import type { ControllerOptions } from '../../cli.ts';
import { generationChanged } from '../../runtime/controller/predicate.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { AutoscalerReconciler } from './reconciler.ts';

/** What the HPA reads of a pod besides its metadata: requests (replica-calculator.ts) and status (readiness). */
const CONTAINER_FIELDS: FieldSet = { name: true, resources: true, restartPolicy: true };
export const POD_FIELDS: FieldSet = {
  spec: { containers: CONTAINER_FIELDS, initContainers: CONTAINER_FIELDS, resources: true, overhead: true },
  status: true,
};

/** Upstream's default --concurrent-horizontal-pod-autoscaler-syncs. */
export const DEFAULT_WORKERS = 5;

export function setupAutoscalerController(
  manager: Manager,
  options: Pick<ControllerOptions, 'prometheusAddress'> & { workers?: number } = { prometheusAddress: undefined },
): void {
  manager.cache.informerFor(POD, { fields: POD_FIELDS });
  manager
    .controller('autoscaler')
    .for<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALER, { predicates: [generationChanged] })
    .withOptions({ maxConcurrentReconciles: options.workers ?? DEFAULT_WORKERS })
    .complete(
      new AutoscalerReconciler({
        client: manager.client,
        cache: manager.cache,
        recorder: manager.eventRecorder('tentacle.dev/horizontal-pod-autoscaler'),
        clock: manager.clock,
        prometheusAddress: options.prometheusAddress,
      }),
    );
}
