// Wires the StatefulSet controller into a manager: StatefulSets, the pods they own, the claims of
// their templates (matched by the selector labels every claim carries), and StorageClasses for
// resizing. Expectations are fed by the pod informer.
import type { FieldSet } from '../../runtime/cache/fields.ts';
import { STATEFULSET, type StatefulSet } from '../../api/apps/types.ts';
import { CONTROLLER_REVISION, POD, PVC, STORAGE_CLASS } from '../../api/core/types.ts';
import type { ControllerRevision, PersistentVolumeClaim, Pod, StorageClass } from '../../api/core/types.ts';
import { Expectations, observeChildren } from '../../runtime/controller/expectations.ts';
import { enqueueForOwner } from '../../runtime/controller/handler.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { requestKey, type ReadonlyDeep } from '../../runtime/types.ts';
import { matchesSelector } from '../../runtime/util/selectors.ts';
import { StatefulSetReconciler } from './reconciler.ts';

/**
 * What the StatefulSet controller reads of a pod besides its metadata: its claim volumes (storage
 * identity) and its status (phase, Ready). It writes pods with patches (identityPatch), never back whole.
 */
export const POD_FIELDS: FieldSet = { spec: { volumes: { name: true, persistentVolumeClaim: true } }, status: true };

/** Upstream's default --concurrent-statefulset-syncs. */
export const DEFAULT_WORKERS = 5;

export function setupStatefulSetController(manager: Manager, options: { workers?: number } = {}): void {
  const expectations = new Expectations({ clock: manager.clock });
  const ownerOf = enqueueForOwner(STATEFULSET);
  manager.cache.informerFor<Pod>(POD, { fields: POD_FIELDS }).addHandler(observeChildren<Pod>(expectations, (pod) => ownerOf(pod).map(requestKey)));
  manager.cache.informerFor<ControllerRevision>(CONTROLLER_REVISION);
  manager.cache.informerFor<StorageClass>(STORAGE_CLASS);
  const setsForClaim = (claim: ReadonlyDeep<PersistentVolumeClaim>) =>
    manager.cache
      .list<StatefulSet>(STATEFULSET, { namespace: claim.metadata.namespace ?? '' })
      .filter((set) => (set.spec.volumeClaimTemplates?.length ?? 0) > 0 && matchesSelector(set.spec.selector, claim.metadata.labels))
      .map((set) => ({ namespace: set.metadata.namespace ?? '', name: set.metadata.name! }));
  manager
    .controller('statefulset')
    .for<StatefulSet>(STATEFULSET)
    .owns<Pod>(POD, { informer: { fields: POD_FIELDS } })
    .watches<PersistentVolumeClaim>(PVC, setsForClaim)
    .withOptions({ maxConcurrentReconciles: options.workers ?? DEFAULT_WORKERS })
    .complete(
      new StatefulSetReconciler({
        client: manager.client,
        cache: manager.cache,
        expectations,
        recorder: manager.eventRecorder('tentacle.dev/statefulset-controller'),
        clock: manager.clock,
      }),
    );
}
