// Wires the NFS provisioner into a manager.
//   nfs        the NFSProvisioner controller (StorageClass, agent Deployment, status); in local mode
//              (--nfs-local-exports DIR) also the provisioning work for every provisioner, on DIR/<name>.
//   nfs-agent  the provisioning work for the one provisioner named by --nfs-provisioner, on the export
//              mounted at --nfs-export-root (what the agent Deployment runs).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ControllerOptions } from '../../cli.ts';
import { DEPLOYMENT, PV, PVC, STORAGE_CLASS } from '../../api/core/types.ts';
import type { Deployment, PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/core/types.ts';
import { NFS_PROVISIONER, type NFSProvisioner } from '../../api/storage/types.ts';
import { generationChanged } from '../../runtime/controller/predicate.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import type { ReadonlyDeep, Request } from '../../runtime/types.ts';
import { LABEL_COMPONENT } from './agent.ts';
import { storageClassNameOf } from './config.ts';
import { claimUidOfVolume, provisionerOfClass, provisionerOfVolume, unboundVolumeClass } from './decide-volume.ts';
import { ExportHealthReconciler } from './export-health.ts';
import { HousekeepingReconciler } from './housekeeping.ts';
import { NfsProvisionerReconciler, type AgentMode } from './reconciler.ts';
import { ClaimReconciler, UNBOUND_VOLUMES_BY_CLASS, VolumeReconciler, VOLUMES_BY_CLAIM_UID, VOLUMES_BY_PROVISIONER, type VolumeWorkDeps } from './volume-work.ts';

export function setupNfsController(manager: Manager, options: ControllerOptions): void {
  const local = options.nfsLocalExports ? resolve(options.nfsLocalExports) : undefined;
  const agent: AgentMode = local
    ? { mode: 'local', exportsDir: local }
    : {
        mode: 'cluster',
        image: options.nfsAgentImage,
        namespace: operatorNamespace(options),
        serviceAccountName: options.nfsAgentServiceAccount,
        imagePullSecrets: options.nfsAgentImagePullSecrets,
        nodeFlags: options.nfsAgentNodeFlags,
      };
  indexVolumes(manager);
  const builder = manager.controller('nfs').for<NFSProvisioner>(NFS_PROVISIONER).owns<StorageClass>(STORAGE_CLASS);
  if (agent.mode === 'cluster') {
    builder.owns<Deployment>(DEPLOYMENT, { informer: { namespace: agent.namespace, labelSelector: `${LABEL_COMPONENT}=nfs-agent` } });
  }
  builder
    .watches<PersistentVolume>(PV, (pv) => named(provisionerOfVolume(pv)))
    .complete(new NfsProvisionerReconciler({ client: manager.client, cache: manager.cache, recorder: manager.eventRecorder('tentacle.dev/nfs'), clock: manager.clock, agent }));
  if (local) setupVolumeWork(manager, 'nfs', (name) => `${local}/${name}`, true);
}

export function setupNfsAgentController(manager: Manager, options: ControllerOptions): void {
  const { nfsProvisioner: served, nfsExportRoot } = options;
  // cli.ts refuses nfs-agent without these; this guards other callers.
  if (!served || !nfsExportRoot) throw new Error('nfs-agent needs --nfs-provisioner and --nfs-export-root');
  const root = resolve(nfsExportRoot);
  indexVolumes(manager);
  setupVolumeWork(manager, 'nfs-agent', (name) => (name === served ? root : undefined), false);
}

/** Claims, volumes and periodic housekeeping for the provisioners `rootOf` knows. */
function setupVolumeWork(manager: Manager, prefix: string, rootOf: (name: string) => string | undefined, createRoot: boolean): void {
  const deps: VolumeWorkDeps = {
    client: manager.client,
    cache: manager.cache,
    recorder: manager.eventRecorder('tentacle.dev/nfs-provisioner'),
    clock: manager.clock,
    rootOf,
    createRoot,
  };
  const served = (name: string | undefined) => name !== undefined && rootOf(name) !== undefined;
  const servedClaim = (c: ReadonlyDeep<PersistentVolumeClaim>) =>
    served(provisionerOfClass(c.spec.storageClassName ? manager.cache.get<StorageClass>(STORAGE_CLASS, '', c.spec.storageClassName) : undefined));
  // A provisioner's fixed configuration or a class created late must reach the claims still pending.
  const pendingClaimsOf = (className: string): Request[] =>
    manager.cache
      .list<PersistentVolumeClaim>(PVC)
      .filter((c) => c.spec.storageClassName === className && !c.spec.volumeName)
      .map((c) => ({ namespace: c.metadata.namespace!, name: c.metadata.name! }));
  manager
    .controller(`${prefix}-claims`)
    .for<PersistentVolumeClaim>(PVC, { predicates: [{ create: servedClaim, update: (_o, n) => servedClaim(n), delete: () => false }] })
    // Spec changes only: the per-volume status writes must not re-queue every pending claim each time.
    .watches<NFSProvisioner>(NFS_PROVISIONER, (p) => (served(p.metadata.name) ? pendingClaimsOf(storageClassNameOf(p)) : []), {
      predicates: [generationChanged],
    })
    .watches<StorageClass>(STORAGE_CLASS, (sc) => (served(provisionerOfClass(sc)) ? pendingClaimsOf(sc.metadata.name!) : []))
    .withOptions({ maxConcurrentReconciles: 4 })
    .complete(new ClaimReconciler(deps));
  manager
    .controller(`${prefix}-volumes`)
    .for<PersistentVolume>(PV, { predicates: [{ create: (v) => served(provisionerOfVolume(v)), update: (_o, n) => served(provisionerOfVolume(n)), delete: () => false }] })
    .withOptions({ maxConcurrentReconciles: 2 })
    .complete(new VolumeReconciler(deps));
  // Probes read the export root with a timeout: a reconcile never waits on an NFS server for long.
  manager
    .controller(`${prefix}-export-health`)
    .for<NFSProvisioner>(NFS_PROVISIONER, {
      predicates: [{ create: (p) => served(p.metadata.name), update: (o, n) => served(n.metadata.name) && o.metadata.generation !== n.metadata.generation, delete: () => false }],
    })
    .complete(new ExportHealthReconciler(deps));
  manager
    .controller(`${prefix}-housekeeping`)
    .for<NFSProvisioner>(NFS_PROVISIONER, { predicates: [{ create: (p) => served(p.metadata.name), update: (_o, n) => served(n.metadata.name) }] })
    .watches<PersistentVolume>(PV, (pv) => (served(provisionerOfVolume(pv)) ? named(provisionerOfVolume(pv)) : []))
    .complete(new HousekeepingReconciler(deps, manager.metrics.registry));
}

function indexVolumes(manager: Manager): void {
  const store = manager.cache.informerFor<PersistentVolume>(PV).store;
  if (!store.hasIndexer(VOLUMES_BY_PROVISIONER)) {
    store.addIndexer(VOLUMES_BY_PROVISIONER, (pv) => {
      const p = provisionerOfVolume(pv);
      return p ? [p] : [];
    });
  }
  if (!store.hasIndexer(UNBOUND_VOLUMES_BY_CLASS)) store.addIndexer(UNBOUND_VOLUMES_BY_CLASS, unboundVolumeClass);
  if (!store.hasIndexer(VOLUMES_BY_CLAIM_UID)) store.addIndexer(VOLUMES_BY_CLAIM_UID, claimUidOfVolume);
}

const named = (name: string | undefined): Request[] => (name ? [{ namespace: '', name }] : []);

/** Where the agent Deployments go: the operator's namespace. */
function operatorNamespace(options: ControllerOptions): string {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  if (options.operatorNamespace) return options.operatorNamespace;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim();
  } catch {
    return 'default';
  }
}
