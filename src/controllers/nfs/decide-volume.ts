// Pure decisions of the provisioning work, per claim and per volume, as external-provisioner's
// controller makes them (sig-storage-lib-external-provisioner: shouldProvision, provisionClaimOperation,
// shouldDelete) and external-resizer for growth. No I/O: the callers observe and act.
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/core/types.ts';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_PROVISIONED_BY,
  ANN_PROVISIONER,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  FINALIZER_PV,
  PARAM_NFS_PROVISIONER,
  PROVISIONER_NAME,
} from '../../api/storage/types.ts';
import { parseQuantity } from '../../runtime/util/quantity.ts';
import type { ProvisionerConfig } from './config.ts';
import { expandPathPattern, nfsVolumePath, relDirFromNfsPath } from './path-pattern.ts';
import type { OnDelete } from './policy.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
const ACCESS_MODES = new Set(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']);

/** external-provisioner names volumes after the claim's uid: a restart can never make a second one. */
export function volumeNameFor(claim: ReadonlyDeep<PersistentVolumeClaim>): string {
  return `pvc-${claim.metadata.uid}`;
}

/** The NFSProvisioner a StorageClass of ours names, or undefined for anyone else's class. */
export function provisionerOfClass(sc: ReadonlyDeep<StorageClass> | undefined): string | undefined {
  if (!sc || sc.provisioner !== PROVISIONER_NAME) return undefined;
  return sc.parameters?.[PARAM_NFS_PROVISIONER] || undefined;
}

/** The NFSProvisioner that made a volume, or undefined when it is not one of ours. */
export function provisionerOfVolume(pv: ReadonlyDeep<PersistentVolume>): string | undefined {
  const a = pv.metadata.annotations;
  if (a?.[ANN_PROVISIONED_BY] !== PROVISIONER_NAME) return undefined;
  return a[ANN_PROVISIONER] || undefined;
}

export type ProvisionDecision =
  | { kind: 'skip'; why: string }
  | { kind: 'fail'; message: string }
  | { kind: 'provision'; dir: string; volume: PersistentVolume };

export interface ProvisionInput {
  claim: ReadonlyDeep<PersistentVolumeClaim>;
  storageClass: ReadonlyDeep<StorageClass>;
  /** The provisioner's settings, or the problems that stop it from provisioning. */
  config: ProvisionerConfig | { errors: string[] };
  /** Whether the volume `pvc-<uid>` exists already (cache). */
  volumeExists: boolean;
  /**
   * Volumes of the claim's class that no claim has bound (cache index UNBOUND_VOLUMES_BY_CLASS): ones the
   * PV controller may bind the claim to instead of handing it to a provisioner.
   */
  unboundVolumesOfClass: readonly ReadonlyDeep<PersistentVolume>[];
  /**
   * Volumes whose claimRef holds the claim's uid (cache index VOLUMES_BY_CLAIM_UID). Any but our own
   * `pvc-<uid>` is one the PV controller is binding to the claim: it writes the volume's claimRef before
   * the claim's volumeName, and a sync between the two writes must not provision a second volume.
   */
  volumesNamingClaim: readonly ReadonlyDeep<PersistentVolume>[];
}

/**
 * The cache index of unbound volumes (no claimRef, or one reserving the volume for a claim not yet
 * bound) by StorageClass name: what decideProvision checks before it acts ahead of the PV controller.
 */
export function unboundVolumeClass(pv: ReadonlyDeep<PersistentVolume>): string[] {
  return pv.spec.claimRef?.uid ? [] : [pv.spec.storageClassName ?? ''];
}

/** The cache index of volumes by the uid in their claimRef: what decideProvision checks for a bind under way. */
export function claimUidOfVolume(pv: ReadonlyDeep<PersistentVolume>): string[] {
  const uid = pv.spec.claimRef?.uid;
  return uid ? [uid] : [];
}

/** Whether the PV controller could bind `claim` to the unbound `pv` (its class; free, or reserved for the claim). */
function mayBind(pv: ReadonlyDeep<PersistentVolume>, claim: ReadonlyDeep<PersistentVolumeClaim>): boolean {
  if (pv.metadata.name === volumeNameFor(claim) || pv.metadata.deletionTimestamp) return false;
  if ((pv.spec.storageClassName ?? '') !== (claim.spec.storageClassName ?? '')) return false;
  const ref = pv.spec.claimRef;
  if (!ref) return true;
  return ref.namespace === claim.metadata.namespace && ref.name === claim.metadata.name && (!ref.uid || ref.uid === claim.metadata.uid);
}

export function decideProvision({ claim, storageClass, config, volumeExists, unboundVolumesOfClass, volumesNamingClaim }: ProvisionInput): ProvisionDecision {
  const ann = claim.metadata.annotations ?? {};
  if (claim.metadata.deletionTimestamp) return { kind: 'skip', why: 'claim is being deleted' };
  if (claim.spec.volumeName) return { kind: 'skip', why: 'claim already names a volume' };
  // Even after a handover: the PV controller binds a matching volume that appeared since, as upstream.
  const binding = volumesNamingClaim.find((pv) => pv.metadata.name !== volumeNameFor(claim) && pv.spec.claimRef?.uid === claim.metadata.uid);
  if (binding) return { kind: 'skip', why: `the PV controller is binding PersistentVolume ${binding.metadata.name} to the claim` };
  if ((claim.status?.phase ?? 'Pending') !== 'Pending') return { kind: 'skip', why: `claim is ${claim.status?.phase}` };
  if (storageClass.volumeBindingMode === 'WaitForFirstConsumer' && !ann[ANN_SELECTED_NODE]) {
    return { kind: 'skip', why: 'waiting for a first consumer (no selected node yet)' };
  }
  const handedTo = ann[ANN_STORAGE_PROVISIONER] ?? ann[ANN_BETA_STORAGE_PROVISIONER];
  if (handedTo !== undefined && handedTo !== PROVISIONER_NAME) {
    return { kind: 'skip', why: `the PV controller handed the claim to provisioner ${handedTo}` };
  }
  if (handedTo === undefined) {
    // The PV controller hands a claim of our class to us (annotates it) only when no existing PV can
    // bind it. When none can, provisioning before the handover saves the claim that round: the PV
    // controller finds our PV pre-bound to the claim and binds it at its first sync, without the
    // annotation write and its ExternalProvisioning event. When one might, it decides first.
    if (claim.spec.selector) return { kind: 'skip', why: 'the claim selects volumes by label: the PV controller decides first' };
    const candidate = unboundVolumesOfClass.find((pv) => mayBind(pv, claim));
    if (candidate) return { kind: 'skip', why: `PersistentVolume ${candidate.metadata.name} may bind the claim: the PV controller decides first` };
  }
  if (volumeExists) return { kind: 'skip', why: 'volume already provisioned' };
  if ('errors' in config) return { kind: 'fail', message: `the NFSProvisioner is misconfigured: ${config.errors.join('; ')}` };

  const spec = claim.spec;
  if (spec.selector) return { kind: 'fail', message: 'claim Selector is not supported: dynamically provisioned NFS volumes have no labels to select' };
  if (spec.volumeMode === 'Block') return { kind: 'fail', message: 'volumeMode Block is not supported: an NFS volume is a directory (Filesystem)' };
  if (spec.dataSource || spec.dataSourceRef) return { kind: 'fail', message: 'dataSource is not supported: NFS volumes cannot be cloned or restored from snapshots' };
  const modes = spec.accessModes ?? [];
  if (!modes.length) return { kind: 'fail', message: 'the claim asks for no access mode' };
  const unknown = modes.filter((m) => !ACCESS_MODES.has(m));
  if (unknown.length) return { kind: 'fail', message: `access mode(s) ${unknown.join(', ')} not supported` };
  const request = spec.resources?.requests?.storage;
  if (request === undefined) return { kind: 'fail', message: 'the claim requests no storage (spec.resources.requests.storage)' };
  try {
    parseQuantity(String(request));
  } catch {
    return { kind: 'fail', message: `storage request ${JSON.stringify(request)} is not a quantity` };
  }

  const name = volumeNameFor(claim);
  const meta = { namespace: claim.metadata.namespace!, name: claim.metadata.name!, labels: claim.metadata.labels, annotations: claim.metadata.annotations };
  const dir = expandPathPattern(config.pathPattern, meta, name);
  if (!dir.ok) return { kind: 'fail', message: `no safe directory for the volume: ${dir.error}` };

  const volume: PersistentVolume = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: { [ANN_PROVISIONED_BY]: PROVISIONER_NAME, [ANN_PROVISIONER]: config.name },
      // Only volumes whose data we delete need us to see their deletion (as external-provisioner).
      ...(config.reclaimPolicy === 'Delete' ? { finalizers: [FINALIZER_PV] } : {}),
    },
    spec: {
      capacity: { storage: String(request) },
      accessModes: [...modes],
      persistentVolumeReclaimPolicy: config.reclaimPolicy,
      storageClassName: storageClass.metadata.name!,
      volumeMode: 'Filesystem',
      ...(storageClass.mountOptions?.length ? { mountOptions: [...storageClass.mountOptions] } : {}),
      nfs: { server: config.server, path: nfsVolumePath(config.path, dir.dir) },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: meta.namespace, name: meta.name, uid: claim.metadata.uid! },
    },
  };
  return { kind: 'provision', dir: dir.dir, volume };
}

export type ReclaimDecision =
  | { kind: 'skip'; why: string }
  | { kind: 'fail'; message: string }
  | {
      kind: 'reclaim';
      dir: string;
      /** What to do with the directory; 'retain' also when another volume shares it. */
      onDelete: OnDelete;
      /** A note for the event when the policy was overridden for safety. */
      note?: string;
      /** Delete the PV object afterwards (false: it is already being deleted). */
      deleteVolume: boolean;
      removeFinalizer: boolean;
    }
  | { kind: 'removeFinalizer' };

export interface ReclaimInput {
  volume: ReadonlyDeep<PersistentVolume>;
  config: ProvisionerConfig | undefined;
  /** Directories of this provisioner's other volumes. */
  otherDirs: readonly string[];
}

export function decideReclaim({ volume, config, otherDirs }: ReclaimInput): ReclaimDecision {
  const finalizers = volume.metadata.finalizers ?? [];
  const hasOurs = finalizers.includes(FINALIZER_PV);
  const deleting = !!volume.metadata.deletionTimestamp;
  const policy = volume.spec.persistentVolumeReclaimPolicy;
  if (deleting && !hasOurs) return { kind: 'skip', why: 'being deleted; nothing of ours holds it' };
  if (deleting && finalizers.includes(PV_PROTECTION_FINALIZER)) return { kind: 'skip', why: 'still used by a claim' };
  if (deleting && policy !== 'Delete') return { kind: 'removeFinalizer' };
  if (!deleting && !(volume.status?.phase === 'Released' && policy === 'Delete')) return { kind: 'skip', why: 'not released with reclaim policy Delete' };
  if (!config) return { kind: 'skip', why: 'its NFSProvisioner is gone or misconfigured' };
  const nfs = volume.spec.nfs;
  if (!nfs || nfs.server !== config.server) {
    return { kind: 'fail', message: `volume source ${JSON.stringify(nfs ?? null)} is not on server ${config.server}; leaving its data alone` };
  }
  const dir = relDirFromNfsPath(config.path, nfs.path);
  if (!dir.ok) return { kind: 'fail', message: `${dir.error}; leaving its data alone` };
  const shared = otherDirs.includes(dir.dir);
  return {
    kind: 'reclaim',
    dir: dir.dir,
    onDelete: shared ? 'retain' : config.onDelete,
    ...(shared ? { note: `directory ${dir.dir} is also used by another volume; keeping it` } : {}),
    deleteVolume: !deleting,
    removeFinalizer: hasOurs,
  };
}

export type ResizeDecision = { kind: 'skip'; why: string } | { kind: 'resize'; size: string; expandVolume: boolean };

/**
 * Growth, as external-resizer does it for a volume that needs no node-side step: the PV capacity
 * becomes the request, then the claim's status capacity follows. NFS has no quotas: the number is
 * what Kubernetes shows, the space is whatever the export has.
 */
export function decideResize(claim: ReadonlyDeep<PersistentVolumeClaim>, volume: ReadonlyDeep<PersistentVolume>, allowVolumeExpansion: boolean): ResizeDecision {
  if (claim.status?.phase !== 'Bound' || claim.spec.volumeName !== volume.metadata.name) return { kind: 'skip', why: 'not bound to this volume' };
  const requested = claim.spec.resources?.requests?.storage;
  const pvSize = volume.spec.capacity?.storage;
  if (requested === undefined || pvSize === undefined) return { kind: 'skip', why: 'no sizes' };
  let want: number;
  let have: number;
  let shown: number;
  try {
    want = parseQuantity(String(requested));
    have = parseQuantity(pvSize);
    const status = claim.status?.capacity?.storage;
    shown = status === undefined ? 0 : parseQuantity(status);
  } catch {
    return { kind: 'skip', why: 'unparsable size' };
  }
  if (want > have) {
    if (!allowVolumeExpansion) return { kind: 'skip', why: 'the class does not allow expansion' };
    return { kind: 'resize', size: String(requested), expandVolume: true };
  }
  // The PV grew but the claim's status did not follow (a restart in between): finish the job.
  if (claim.status?.capacity !== undefined && shown < want && have >= want) {
    return { kind: 'resize', size: pvSize, expandVolume: false };
  }
  return { kind: 'skip', why: 'nothing to grow' };
}
