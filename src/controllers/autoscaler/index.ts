// Wires the HorizontalPodAutoscaler controller into a manager: HPAs (spec changes act at once; status
// writes don't trigger a sync) and pods (read from the cache for readiness and requests, not watched
// for work: every HPA is re-synced each SYNC_PERIOD_MS, as upstream).
import { HORIZONTAL_POD_AUTOSCALER, type HorizontalPodAutoscaler } from '../../api/autoscaling/types.ts';
import { POD } from '../../api/core/types.ts';
import type { ControllerOptions } from '../../cli.ts';
import { generationChanged } from '../../runtime/controller/predicate.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { AutoscalerReconciler } from './reconciler.ts';

/** Upstream's default --concurrent-horizontal-pod-autoscaler-syncs. */
export const DEFAULT_WORKERS = 5;

export function setupAutoscalerController(
  manager: Manager,
  options: Pick<ControllerOptions, 'prometheusAddress'> & { workers?: number } = { prometheusAddress: undefined },
): void {
  manager.cache.informerFor(POD);
  manager
    .controller('autoscaler')
    .for<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALER, { predicates: [generationChanged] })
    .withOptions({ maxConcurrentReconciles: options.workers ?? DEFAULT_WORKERS })
    .complete(
      new AutoscalerReconciler({
        client: manager.client,
        cache: manager.cache,
        recorder: manager.eventRecorder('horizontal-pod-autoscaler'),
        clock: manager.clock,
        prometheusAddress: options.prometheusAddress,
      }),
    );
}
