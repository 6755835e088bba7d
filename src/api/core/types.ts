// Core (v1) and other built-in shapes the controllers read and write, as the API server sends them
// in JSON. Only the fields some controller uses are typed; the rest pass through untouched.
import { defineKind, type KubeObject, type LabelSelector, type ObjectMeta } from '../../runtime/types.ts';

export const POD = defineKind<Pod>('', 'v1', 'Pod');
export const PVC = defineKind<PersistentVolumeClaim>('', 'v1', 'PersistentVolumeClaim');
export const PV = defineKind<PersistentVolume>('', 'v1', 'PersistentVolume');
export const STORAGE_CLASS = defineKind<StorageClass>('storage.k8s.io', 'v1', 'StorageClass');
export const CONTROLLER_REVISION = defineKind<ControllerRevision>('apps', 'v1', 'ControllerRevision');

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: RestartPolicy;
  hostname?: string;
  subdomain?: string;
  volumes?: Volume[];
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [source: string]: unknown;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

// Pods as the controllers read them.
export interface ContainerStatus {
  name: string;
  restartCount?: number;
  ready?: boolean;
  state?: {
    running?: { startedAt?: string };
    terminated?: { exitCode: number; reason?: string; finishedAt?: string };
    waiting?: { reason?: string };
  };
  lastState?: ContainerStatus['state'];
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  startTime?: string;
}

export interface Pod extends KubeObject {
  spec: PodSpec & { nodeName?: string };
  status?: PodStatus;
}

export interface PersistentVolumeClaimSpec {
  accessModes?: string[];
  selector?: LabelSelector;
  /** Quantities; the CRD schema also lets a plain number through. */
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  volumeName?: string;
  storageClassName?: string;
  volumeMode?: string;
  [field: string]: unknown;
}

export interface PersistentVolumeClaimStatus {
  phase?: 'Pending' | 'Bound' | 'Lost';
  capacity?: Record<string, string>;
  accessModes?: string[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  [field: string]: unknown;
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: PersistentVolumeClaimSpec;
  status?: PersistentVolumeClaimStatus;
}

/** A volumeClaimTemplates entry: a PVC without namespace or status. */
export interface PersistentVolumeClaimTemplate {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PersistentVolumeClaimSpec;
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  allowVolumeExpansion?: boolean;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  parameters?: Record<string, string>;
  mountOptions?: string[];
}

/** apps/v1 ControllerRevision: an immutable snapshot of a template, numbered. */
export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision: number;
}

/** core/v1 PersistentVolume, the fields the NFS provisioner writes and reads. */
export interface PersistentVolumeSpec {
  capacity?: Record<string, string>;
  accessModes?: string[];
  persistentVolumeReclaimPolicy?: 'Delete' | 'Retain' | 'Recycle';
  storageClassName?: string;
  mountOptions?: string[];
  volumeMode?: string;
  nfs?: { server: string; path: string; readOnly?: boolean };
  claimRef?: { apiVersion?: string; kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
  [field: string]: unknown;
}

export interface PersistentVolume extends KubeObject {
  spec: PersistentVolumeSpec;
  status?: { phase?: 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed'; message?: string; reason?: string };
}

export const DEPLOYMENT = defineKind<Deployment>('apps', 'v1', 'Deployment');

/** apps/v1 Deployment, as far as the NFS agent needs it. */
export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    strategy?: { type: 'Recreate' | 'RollingUpdate' };
    template: PodTemplateSpec;
    [field: string]: unknown;
  };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number };
}
