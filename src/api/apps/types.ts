// apps.tentacle.dev/v1alpha1 StatefulSet: the apps/v1 API field for field (JSON shapes, as the API server
// sends them), so an apps/v1 manifest works with only apiVersion changed.
import { defineKind, type KubeObject, type LabelSelector } from '../../runtime/types.ts';
import type { PersistentVolumeClaimTemplate, PodTemplateSpec } from '../core/types.ts';

export const GROUP = 'apps.tentacle.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const STATEFULSET = defineKind<StatefulSet>(GROUP, VERSION, 'StatefulSet');

/** Pod labels, upstream's names (tools and Services select on them, so they are not renamed). */
export const LABEL_POD_NAME = 'statefulset.kubernetes.io/pod-name';
export const LABEL_POD_INDEX = 'apps.kubernetes.io/pod-index';
export const LABEL_REVISION_HASH = 'controller-revision-hash';

export type PodManagementPolicy = 'OrderedReady' | 'Parallel';
export type RetentionPolicyType = 'Retain' | 'Delete';

export interface RollingUpdateStatefulSetStrategy {
  partition?: number;
  /** An absolute number or a percentage of spec.replicas (rounded down, at least 1). */
  maxUnavailable?: number | string;
}

export interface StatefulSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: RollingUpdateStatefulSetStrategy;
}

export interface StatefulSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
  serviceName?: string;
  podManagementPolicy?: PodManagementPolicy;
  updateStrategy?: StatefulSetUpdateStrategy;
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: RetentionPolicyType; whenScaled?: RetentionPolicyType };
  ordinals?: { start?: number };
}

/** Beyond upstream: how far growing a volumeClaimTemplates entry's storage has reached the claims. */
export interface VolumeClaimTemplateStatus {
  templateName: string;
  /** The template's storage request. */
  storage: string;
  /** Claims of this template that exist. */
  claims: number;
  /** Claims whose spec requests the template's storage. */
  updatedClaims: number;
  /** Claims whose status.capacity has reached it. */
  resizedClaims: number;
}

export interface StatefulSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: StatefulSetCondition[];
  /** Beyond upstream: the selector as a string, for the scale subresource (HPA, kubectl scale). */
  selector?: string;
  volumeClaimTemplates?: VolumeClaimTemplateStatus[];
}

export interface StatefulSet extends KubeObject {
  spec: StatefulSetSpec;
  status?: StatefulSetStatus;
}
