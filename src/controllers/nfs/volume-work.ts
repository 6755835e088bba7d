// The provisioning work for the NFSProvisioners one process serves: claims → directory + PV (then the
// PV binder binds them), released volumes → archive / delete / keep the directory, then the PV;
// bound claims that grew → PV and claim capacity. The same code runs in-process in local mode and in
// the per-provisioner agent in a cluster; only `rootOf` differs.
import { mkdir, rmdir } from 'node:fs/promises';
import { PV, PVC, STORAGE_CLASS } from '../../api/core/types.ts';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/core/types.ts';
import { ANN_STORAGE_RESIZER, NFS_PROVISIONER, PROVISIONER_NAME } from '../../api/storage/types.ts';
import type { NFSProvisioner } from '../../api/storage/types.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import type { Client } from '../../runtime/client/client.ts';
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from '../../runtime/client/errors.ts';
import { OwnWrites } from '../../runtime/controller/own-writes.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { finalizerPatch, withoutFinalizer } from '../../runtime/util/finalizers.ts';
import { FINALIZER_PV } from '../../api/storage/types.ts';
import { resolveConfig, type ProvisionerConfig } from './config.ts';
import {
  decideProvision,
  decideReclaim,
  decideResize,
  provisionerOfClass,
  provisionerOfVolume,
  volumeNameFor,
} from './decide-volume.ts';
import { archiveVolumeDir, createVolumeDir, deleteVolumeDir, ExportFsError } from './export-fs.ts';
import { relDirFromNfsPath } from './path-pattern.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

/** A provisioning still going after this long gets a "Provisioning" event on its claim. */
export const PROVISIONING_EVENT_AFTER_MS = 5_000;

/** Index of PVs by the NFSProvisioner that made them. */
export const VOLUMES_BY_PROVISIONER = 'nfs-provisioner';
/** Cache index of PVs no claim has bound, by StorageClass (unboundVolumeClass). */
export const UNBOUND_VOLUMES_BY_CLASS = 'nfs-unbound-by-class';
/** Cache index of PVs by the claim uid in their claimRef (claimUidOfVolume). */
export const VOLUMES_BY_CLAIM_UID = 'nfs-by-claim-uid';

export interface VolumeWorkDeps {
  client: Client;
  cache: Cache;
  recorder: EventRecorder;
  clock: Clock;
  /** The export root of a provisioner this process serves; undefined for the others. */
  rootOf: (provisioner: string) => string | undefined;
  /** Local mode: create the root when missing (in a cluster it is a mount point and must exist). */
  createRoot: boolean;
}

/** The settings of a served provisioner, or why it cannot provision. */
export function configOf(cache: Cache, name: string): ProvisionerConfig | { errors: string[] } {
  const p = cache.get<NFSProvisioner>(NFS_PROVISIONER, '', name);
  if (!p) return { errors: [`NFSProvisioner ${name} not found`] };
  if (p.metadata.deletionTimestamp) return { errors: [`NFSProvisioner ${name} is being deleted`] };
  const r = resolveConfig(p);
  return r.ok ? r.config : { errors: r.errors };
}

/** Directories (relative to the export) of a provisioner's volumes, by volume name. */
export function volumeDirs(cache: Cache, provisioner: string, exportPath: string): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const pv of cache.byIndex<PersistentVolume>(PV, VOLUMES_BY_PROVISIONER, provisioner)) {
    const d = pv.spec.nfs ? relDirFromNfsPath(exportPath, pv.spec.nfs.path) : undefined;
    if (d?.ok) dirs.set(pv.metadata.name!, d.dir);
  }
  return dirs;
}

async function usableRoot(deps: VolumeWorkDeps, provisioner: string): Promise<string | undefined> {
  const root = deps.rootOf(provisioner);
  if (root !== undefined && deps.createRoot) await mkdir(root, { recursive: true, mode: 0o755 });
  return root;
}

/** One claim's provisioning, as decided: its directory, then its PV. */
interface Provisioning {
  claim: ReadonlyDeep<PersistentVolumeClaim>;
  className: string;
  config: ProvisionerConfig;
  provisioner: string;
  dir: string;
  volume: PersistentVolume;
}

/** Claims: provisioning and growth. */
export class ClaimReconciler implements Reconciler {
  private readonly deps: VolumeWorkDeps;
  /**
   * PVs this process created, by name, until the cache shows them: a claim synced again in that gap
   * must not provision twice (harmless, the name is the claim's, but a wasted write and a false event).
   */
  private readonly ownVolumes: OwnWrites<PersistentVolume>;

  constructor(deps: VolumeWorkDeps) {
    this.deps = deps;
    this.ownVolumes = new OwnWrites<PersistentVolume>({ clock: deps.clock });
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache } = this.deps;
    const client = this.deps.client.withSignal(ctx.signal);
    const claim = cache.get<PersistentVolumeClaim>(PVC, req.namespace, req.name);
    if (!claim?.spec.storageClassName) return {};
    const storageClass = cache.get<StorageClass>(STORAGE_CLASS, '', claim.spec.storageClassName);
    const provisioner = provisionerOfClass(storageClass);
    if (!storageClass || !provisioner || this.deps.rootOf(provisioner) === undefined) return {};
    if (claim.spec.volumeName) return this.resize(client, claim, storageClass, provisioner);

    const config = configOf(cache, provisioner);
    const volumeName = volumeNameFor(claim);
    const cachedVolume = cache.get(PV, '', volumeName);
    const unseen = this.ownVolumes.unseen(volumeName, cachedVolume ? [cachedVolume] : []);
    const volumeExists = !!cachedVolume || unseen.length > 0;
    const unboundVolumesOfClass = cache.byIndex<PersistentVolume>(PV, UNBOUND_VOLUMES_BY_CLASS, claim.spec.storageClassName);
    const volumesNamingClaim = cache.byIndex<PersistentVolume>(PV, VOLUMES_BY_CLAIM_UID, claim.metadata.uid!);
    const decision = decideProvision({ claim, storageClass, config, volumeExists, unboundVolumesOfClass, volumesNamingClaim });
    if (decision.kind === 'skip') {
      ctx.log.debug({ why: decision.why }, 'not provisioning');
      return {};
    }
    const className = storageClass.metadata.name!;
    if (decision.kind === 'fail' || 'errors' in config) {
      const message = decision.kind === 'fail' ? decision.message : 'misconfigured';
      this.deps.recorder.event(claim, 'Warning', 'ProvisioningFailed', 'Provision', `failed to provision volume with StorageClass "${className}": ${message}`);
      return {};
    }
    return this.provision(client, { claim, className, config, provisioner, dir: decision.dir, volume: decision.volume }, ctx);
  }

  private async provision(client: Client, work: Provisioning, ctx: ReconcileContext): Promise<Result> {
    const { recorder } = this.deps;
    const { claim } = work;
    const claimKey = `${claim.metadata.namespace}/${claim.metadata.name}`;
    // A provisioning takes milliseconds unless the NFS server keeps it waiting: "Provisioning" is then a
    // sign of life; otherwise ProvisioningSucceeded alone says it (one event write per volume, not two).
    const slow = setTimeout(
      () => recorder.event(claim, 'Normal', 'Provisioning', 'Provision', `External provisioner is provisioning volume for claim "${claimKey}"`),
      PROVISIONING_EVENT_AFTER_MS,
    );
    try {
      return await this.provisionNow(client, work, ctx);
    } finally {
      clearTimeout(slow);
    }
  }

  private async provisionNow(client: Client, work: Provisioning, ctx: ReconcileContext): Promise<Result> {
    const { recorder } = this.deps;
    const { claim, className, config, provisioner, dir, volume } = work;
    const failed = (why: string) =>
      recorder.event(claim, 'Warning', 'ProvisioningFailed', 'Provision', `failed to provision volume with StorageClass "${className}": ${why}`);
    const root = await usableRoot(this.deps, provisioner);
    if (root === undefined) return {};
    // Directory first: a PV must never point at a directory that does not exist. A crash after this
    // step leaves a directory the next attempt reuses (same claim uid → same PV name and directory).
    let created: boolean;
    try {
      const r = await createVolumeDir(root, dir, { mode: config.directoryMode, uid: config.directoryUID, gid: config.directoryGID });
      created = r.created;
      for (const w of r.warnings) recorder.event(claim, 'Warning', 'ProvisioningWarning', 'Provision', w);
    } catch (err) {
      if (!(err instanceof ExportFsError)) throw err;
      // A refusal (symlink, not a directory, unusable root …): retrying unchanged cannot help.
      failed(err.message);
      return {};
    }
    try {
      await client.create(volume);
    } catch (err) {
      if (isAlreadyExists(err)) {
        ctx.log.debug({ volume: volume.metadata.name }, 'volume already exists');
        return {};
      }
      failed(`creating PersistentVolume ${volume.metadata.name}: ${(err as Error).message}`);
      // Permanent rejections: undo the directory made for it, only if this attempt made it and it is
      // still empty (rmdir refuses anything else).
      if (created && isInvalid(err)) await rmdir(`${root}/${dir}`).catch(() => undefined);
      throw err;
    }
    this.ownVolumes.created(volume.metadata.name!, volume);
    recorder.event(claim, 'Normal', 'ProvisioningSucceeded', 'Provision', `Successfully provisioned volume ${volume.metadata.name}`);
    ctx.log.info({ volume: volume.metadata.name, dir }, 'provisioned');
    return {};
  }

  private async resize(client: Client, claim: ReadonlyDeep<PersistentVolumeClaim>, storageClass: ReadonlyDeep<StorageClass>, provisioner: string): Promise<Result> {
    const { cache, recorder } = this.deps;
    const volume = cache.get<PersistentVolume>(PV, '', claim.spec.volumeName!);
    if (!volume || provisionerOfVolume(volume) !== provisioner) return {};
    const decision = decideResize(claim, volume, storageClass.allowVolumeExpansion === true);
    if (decision.kind === 'skip') return {};
    const ns = claim.metadata.namespace!;
    if (decision.expandVolume) {
      await client.patch(PV, '', volume.metadata.name!, { spec: { capacity: { storage: decision.size } } }, 'merge');
    }
    // As external-resizer when no node-side expansion is needed: capacity follows, the in-progress
    // markers go (merge patch: null removes).
    const conditions = (claim.status?.conditions ?? []).filter((c) => c.type !== 'Resizing' && c.type !== 'FileSystemResizePending');
    await client.patch(
      PVC,
      ns,
      claim.metadata.name!,
      { status: { capacity: { storage: decision.size }, allocatedResources: { storage: decision.size }, allocatedResourceStatuses: null, conditions } },
      'merge',
      { subresource: 'status' },
    );
    const resizer = claim.metadata.annotations?.[ANN_STORAGE_RESIZER] ?? PROVISIONER_NAME;
    recorder.event(claim, 'Normal', 'VolumeResizeSuccessful', 'Resize', `resize volume "${volume.metadata.name}" by resizer "${resizer}" finished successfully`);
    return {};
  }
}

/** Volumes: what happens to the directory of a released volume, then to the PV object. */
export class VolumeReconciler implements Reconciler {
  private readonly deps: VolumeWorkDeps;
  constructor(deps: VolumeWorkDeps) {
    this.deps = deps;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, recorder, clock } = this.deps;
    const client = this.deps.client.withSignal(ctx.signal);
    const volume = cache.get<PersistentVolume>(PV, '', req.name);
    const provisioner = volume && provisionerOfVolume(volume);
    if (!volume || !provisioner || this.deps.rootOf(provisioner) === undefined) return {};
    const found = configOf(cache, provisioner);
    const config = 'errors' in found ? undefined : found;
    const dirs = config ? volumeDirs(cache, provisioner, config.path) : new Map<string, string>();
    dirs.delete(volume.metadata.name!);
    const otherDirs = [...dirs.values()];
    const decision = decideReclaim({ volume, config, otherDirs });
    if (decision.kind === 'skip') {
      ctx.log.debug({ why: decision.why }, 'nothing to reclaim');
      return {};
    }
    if (decision.kind === 'fail') {
      recorder.event(volume, 'Warning', 'VolumeFailedDelete', 'Delete', decision.message);
      return {};
    }
    if (decision.kind === 'reclaim') {
      const root = await usableRoot(this.deps, provisioner);
      if (root === undefined) return {};
      try {
        if (decision.onDelete === 'archive') {
          const r = await archiveVolumeDir(root, decision.dir, { liveVolumes: otherDirs, now: clock.now() });
          if (r.done) ctx.log.info({ dir: decision.dir, archivedAs: r.archivedAs }, 'archived volume directory');
        } else if (decision.onDelete === 'delete') {
          const r = await deleteVolumeDir(root, decision.dir, { liveVolumes: otherDirs });
          if (r.done) ctx.log.info({ dir: decision.dir }, 'deleted volume directory');
        }
      } catch (err) {
        if (!(err instanceof ExportFsError)) throw err;
        // The PV stays (Released) so the data and the reason remain visible; nothing was lost.
        recorder.event(volume, 'Warning', 'VolumeFailedDelete', 'Delete', `${decision.onDelete} of directory ${decision.dir} refused: ${err.message}`);
        return {};
      }
      if (decision.note) recorder.event(volume, 'Warning', 'VolumeDirectoryKept', 'Delete', decision.note);
    }
    if (decision.kind === 'removeFinalizer' || decision.removeFinalizer) {
      try {
        await client.patch(PV, '', volume.metadata.name!, finalizerPatch(volume, withoutFinalizer(volume.metadata.finalizers, FINALIZER_PV)), 'json');
      } catch (err) {
        if (isNotFound(err)) return {};
        // A changed object fails the patch's test (422) or conflicts: the new version comes through the watch.
        if (isInvalid(err) || isConflict(err)) return { requeue: true };
        throw err;
      }
    }
    if (decision.kind === 'reclaim' && decision.deleteVolume) {
      await client.delete(PV, '', volume.metadata.name!, { preconditions: { uid: volume.metadata.uid! } });
    }
    return {};
  }
}
