// The SecretMirror controller: observe (the cache) → decide (decide.ts) → act (the client).
import {
  controllerRef,
  finalizerPatch,
  isInvalid,
  isNotFound,
  setCondition,
  updateStatusIfChanged,
  withFinalizer,
  withoutFinalizer,
  type Client,
  type JsonPatchOperation,
  type Manager,
  type ReconcileContext,
  type Request,
  type Result,
} from 'tentacle/runtime';
import { CONFIGMAP, FINALIZER, MIRRORED_BY, SECRET, SECRET_MIRROR, secretNameOf, type SecretMirror } from './api.ts';
import { decide } from './decide.ts';

export const CONTROLLER = 'secretmirror';

/** Registers the controller with `manager`: SecretMirrors, the Secrets they own, their source ConfigMaps. */
export function setupSecretMirror(manager: Manager): void {
  const events = manager.eventRecorder('mirror.example.com/secretmirror');
  const reconciler = {
    async reconcile(request: Request, ctx: ReconcileContext): Promise<Result | void> {
      const mirror = manager.cache.get(SECRET_MIRROR, request.namespace, request.name);
      if (!mirror) return;
      const configMap = manager.cache.get(CONFIGMAP, request.namespace, mirror.spec.configMapName);
      const secret = manager.cache.get(SECRET, request.namespace, secretNameOf(mirror));
      const plan = decide({ mirror, configMap, secret });
      const client = manager.client.withSignal(ctx.signal);
      const { namespace } = request;

      if (plan.action === 'finalize') {
        if (!mirror.metadata.finalizers?.includes(FINALIZER)) return;
        if (plan.unmarkSource && configMap) {
          await client
            .patch(CONFIGMAP, namespace, configMap.metadata.name!, { metadata: { annotations: { [MIRRORED_BY]: null } } }, 'merge')
            .catch((err: unknown) => { if (!isNotFound(err)) throw err; });
        }
        return patchFinalizers(client, request, finalizerPatch(mirror, withoutFinalizer(mirror.metadata.finalizers, FINALIZER)));
      }
      if (plan.action === 'add-finalizer') {
        // The update event brings the next reconcile.
        return patchFinalizers(client, request, finalizerPatch(mirror, withFinalizer(mirror.metadata.finalizers, FINALIZER)));
      }

      if (plan.secret === 'create') {
        await client.create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretNameOf(mirror), namespace, ownerReferences: [controllerRef(mirror, SECRET_MIRROR)] },
          type: 'Opaque',
          data: plan.data,
        });
      } else if (plan.secret === 'update' && secret) {
        await client.update({ ...secret, data: plan.data });
      }
      if (plan.markSource && configMap) {
        await client.patch(CONFIGMAP, namespace, configMap.metadata.name!, { metadata: { annotations: { [MIRRORED_BY]: request.name } } }, 'merge');
      }
      const status: SecretMirror['status'] = {
        observedGeneration: mirror.metadata.generation,
        conditions: setCondition(mirror.status?.conditions, { type: 'Ready', ...plan.ready, observedGeneration: mirror.metadata.generation }, new Date().toISOString()),
      };
      // Written only when it changes: a write per reconcile would wake this controller again.
      await updateStatusIfChanged(client, mirror, status);
      if (plan.event) events.event(mirror, plan.event.type, plan.event.reason, 'Reconcile', plan.event.message);
    },
  };

  manager
    .controller(CONTROLLER)
    .for(SECRET_MIRROR)
    .owns(SECRET)
    // A ConfigMap's change reaches every SecretMirror of its namespace that copies it.
    .watches(CONFIGMAP, (cm) =>
      manager.cache
        .list(SECRET_MIRROR, { namespace: cm.metadata.namespace })
        .filter((m) => m.spec.configMapName === cm.metadata.name)
        .map((m) => ({ namespace: m.metadata.namespace!, name: m.metadata.name! })),
    )
    .complete(reconciler);
}

/**
 * A finalizer patch guarded by the resourceVersion the cache showed. The API server answers a failed
 * guard with 422: the cache was behind, which is no error; the newer version's event comes, and a
 * requeue covers the case where it came already.
 */
async function patchFinalizers(client: Client, request: Request, patch: JsonPatchOperation[]): Promise<Result> {
  try {
    await client.patch(SECRET_MIRROR, request.namespace, request.name, patch, 'json');
  } catch (err) {
    if (isInvalid(err)) return { requeue: true };
    if (!isNotFound(err)) throw err;
  }
  return {};
}
