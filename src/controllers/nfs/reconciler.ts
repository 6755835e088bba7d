// The NFSProvisioner reconciler: observe (the provisioner, its StorageClass, its agent Deployment or
// local export root, its volumes), decide (decide.ts, agent.ts), act (StorageClass and Deployment
// writes), then status. Provisioning itself is volume-work.ts.
import { mkdir } from 'node:fs/promises';
import { DEPLOYMENT, PV, STORAGE_CLASS } from '../../api/core/types.ts';
import type { Deployment, PersistentVolume, StorageClass } from '../../api/core/types.ts';
import { NFS_PROVISIONER, type NFSProvisioner } from '../../api/storage/types.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import { OWNER_UID_INDEX } from '../../runtime/cache/store.ts';
import type { Client } from '../../runtime/client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../runtime/client/errors.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { semanticallyEqual } from '../../runtime/util/equality.ts';
import { isControlledBy } from '../../runtime/util/owners.ts';
import { agentName, agentNeedsUpdate, desiredAgentDeployment } from './agent.ts';
import { resolveConfig, storageClassNameOf } from './config.ts';
import { decideStatus, decideStorageClass, statusWriteDelay, warningsFor, type AgentState, type StorageClassAction } from './decide.ts';
import { VOLUMES_BY_PROVISIONER } from './volume-work.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export type AgentMode =
  | { mode: 'local'; exportsDir: string }
  | { mode: 'cluster'; image: string | undefined; namespace: string; serviceAccountName: string | undefined; imagePullSecrets: readonly string[]; nodeFlags: readonly string[] };

export interface NfsReconcilerDeps {
  client: Client;
  cache: Cache;
  recorder: EventRecorder;
  clock: Clock;
  agent: AgentMode;
}

export class NfsProvisionerReconciler implements Reconciler {
  private readonly deps: NfsReconcilerDeps;
  /** When this process last wrote each provisioner's status (ms), for statusWriteDelay. */
  private readonly statusWrittenAt = new Map<string, number>();
  constructor(deps: NfsReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, recorder, clock } = this.deps;
    const client = this.deps.client.withSignal(ctx.signal);
    const p = cache.get<NFSProvisioner>(NFS_PROVISIONER, '', req.name);
    // Deletion: the StorageClass and the Deployment carry owner references; the garbage collector
    // removes them. Volumes and their data stay, as with any provisioner that goes away.
    if (!p || p.metadata.deletionTimestamp) {
      this.statusWrittenAt.delete(req.name);
      return {};
    }
    const config = resolveConfig(p);

    const className = storageClassNameOf(p);
    const classAction = decideStorageClass(p, cache.get<StorageClass>(STORAGE_CLASS, '', className));
    await this.applyStorageClass(client, classAction, className, ctx);
    await this.deleteStaleClasses(client, p, className);
    const agent = await this.ensureAgent(client, p);

    const volumes = cache.byIndex<PersistentVolume>(PV, VOLUMES_BY_PROVISIONER, p.metadata.name!);
    const status = decideStatus({ provisioner: p, config, storageClass: classAction, agent, volumes, now: new Date(clock.now()).toISOString() });
    for (const w of warningsFor(p.status?.conditions, status.conditions ?? [])) recorder.event(p, 'Warning', w.reason, 'Sync', w.message);
    if (!semanticallyEqual(p.status ?? {}, status)) {
      const delay = statusWriteDelay(p.status, status, this.statusWrittenAt.get(req.name), clock.now());
      if (delay > 0) return { requeueAfterMs: delay };
      try {
        await client.updateStatus<NFSProvisioner>({ ...p, status });
        this.statusWrittenAt.set(req.name, clock.now());
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) return { requeue: true };
        throw err;
      }
    }
    // Children's watch events drive most progress; an unowned class of our name is not watched by owner.
    return classAction.kind === 'conflict' ? { requeueAfterMs: 60_000 } : {};
  }

  private async applyStorageClass(client: Client, action: StorageClassAction, name: string, ctx: ReconcileContext): Promise<void> {
    switch (action.kind) {
      case 'create':
        try {
          await client.create(action.storageClass);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err; // the watch brings it; the next pass decides
        }
        return;
      case 'patch':
        await client.patch(STORAGE_CLASS, '', name, action.patch, 'merge');
        return;
      case 'recreate':
        // Provisioner, parameters, reclaim policy and binding mode are immutable: replace the class.
        // Existing volumes keep their own reclaim policy and mount options.
        ctx.log.info({ storageClass: name }, 'recreating StorageClass with changed immutable fields');
        await client.delete(STORAGE_CLASS, '', name);
        try {
          await client.create(action.storageClass);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
        return;
      default:
        return;
    }
  }

  /** Classes this provisioner made under an earlier spec.storageClassName. */
  private async deleteStaleClasses(client: Client, p: ReadonlyDeep<NFSProvisioner>, current: string): Promise<void> {
    const owned = this.deps.cache.byIndex<StorageClass>(STORAGE_CLASS, OWNER_UID_INDEX, p.metadata.uid!);
    for (const sc of owned) {
      if (sc.metadata.name !== current && isControlledBy(sc, p)) await client.delete(STORAGE_CLASS, '', sc.metadata.name!);
    }
  }

  private async ensureAgent(client: Client, p: ReadonlyDeep<NFSProvisioner>): Promise<AgentState> {
    const { agent, cache } = this.deps;
    if (agent.mode === 'local') {
      const root = `${agent.exportsDir.replace(/\/+$/, '')}/${p.metadata.name}`;
      try {
        await mkdir(root, { recursive: true, mode: 0o755 });
        return { mode: 'local', root };
      } catch (err) {
        return { mode: 'local', root, error: `export root ${root} cannot be created: ${(err as Error).message}` };
      }
    }
    if (!agent.image) return { mode: 'cluster', missingImage: true };
    const desired = desiredAgentDeployment(p, {
      image: agent.image,
      namespace: agent.namespace,
      serviceAccountName: agent.serviceAccountName,
      imagePullSecrets: agent.imagePullSecrets,
      nodeFlags: agent.nodeFlags,
    });
    const name = agentName(p.metadata.name!);
    const live = cache.get<Deployment>(DEPLOYMENT, agent.namespace, name);
    if (!live) {
      try {
        await client.create(desired);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return { mode: 'cluster', deployment: undefined, name };
    }
    if (!isControlledBy(live, p)) return { mode: 'cluster', deployment: undefined, name };
    if (agentNeedsUpdate(live, desired)) {
      const updated = await client.update<Deployment>({ ...live, metadata: { ...live.metadata, labels: desired.metadata.labels, annotations: { ...live.metadata.annotations, ...desired.metadata.annotations } }, spec: desired.spec });
      return { mode: 'cluster', deployment: updated, name };
    }
    return { mode: 'cluster', deployment: live, name };
  }
}
