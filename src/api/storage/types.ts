// storage.tentacle.dev/v1alpha1 NFSProvisioner (cluster-scoped): one export of an existing NFS server,
// the StorageClass whose claims get directories on it, and the directory policy of
// nfs-subdir-external-provisioner (pathPattern, onDelete / archiveOnDelete, mode, owner).
import { defineKind, type Condition, type KubeObject } from '../../runtime/types.ts';

export const GROUP = 'storage.tentacle.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const NFS_PROVISIONER = defineKind<NFSProvisioner>(GROUP, VERSION, 'NFSProvisioner');

/** The `provisioner` of every StorageClass the operator manages. */
export const PROVISIONER_NAME = 'tentacle.dev/nfs';
/** StorageClass parameter naming the NFSProvisioner that serves the class. */
export const PARAM_NFS_PROVISIONER = 'nfsProvisioner';
/** Annotations on the PersistentVolumes we provision. */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_PROVISIONER = 'storage.tentacle.dev/provisioner';
/** external-provisioner's finalizer: the directory is cleaned up even if the PV object is deleted first. */
export const FINALIZER_PV = 'external-provisioner.volume.kubernetes.io/finalizer';
/** Set on claims by the PV controller (kube-controller-manager) for external provisioners. */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_RESIZER = 'volume.kubernetes.io/storage-resizer';
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
/** Condition written by whoever provisions (the agent, or the operator in local mode): does the export answer. */
export const CONDITION_EXPORT_REACHABLE = 'ExportReachable';

export type ReclaimPolicy = 'Delete' | 'Retain';
export type VolumeBindingMode = 'Immediate' | 'WaitForFirstConsumer';

export interface NFSProvisionerSpec {
  /** NFS server: host name or IP address. */
  server: string;
  /** Exported path on the server (absolute). */
  path: string;
  /** Name of the managed StorageClass; default: the NFSProvisioner's name. */
  storageClassName?: string;
  /** Default Delete. */
  reclaimPolicy?: ReclaimPolicy;
  isDefaultClass?: boolean;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  /** Default Immediate. */
  volumeBindingMode?: VolumeBindingMode;
  /** nfs-subdir-external-provisioner syntax: `${.PVC.namespace}/${.PVC.name}`, labels and annotations. */
  pathPattern?: string;
  /** What happens to a released volume's directory; default archive (applied in code). */
  onDelete?: 'delete' | 'retain' | 'archive';
  /** Compatibility with nfs-subdir-external-provisioner: "false" means delete, when onDelete is unset. */
  archiveOnDelete?: string;
  /** Octal permission bits of each volume directory; default "0777" as upstream. */
  directoryMode?: string;
  directoryUID?: number;
  directoryGID?: number;
  /** Go duration after which archived directories are removed; off when absent. */
  archiveRetention?: string;
}

export interface NFSProvisionerStatus {
  observedGeneration?: number;
  storageClassName?: string;
  /** PersistentVolumes of this provisioner, and those of them Bound. */
  volumes?: number;
  boundVolumes?: number;
  /** The agent Deployment (cluster mode). */
  agentDeployment?: string;
  conditions?: Condition[];
}

export interface NFSProvisioner extends KubeObject {
  spec: NFSProvisionerSpec;
  status?: NFSProvisionerStatus;
}
