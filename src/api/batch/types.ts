// batch.tentacle.dev/v1alpha1 Job and CronJob: the batch/v1 API field for field (JSON shapes, as the
// API server sends them), so a batch/v1 manifest works with only apiVersion changed.
import { defineKind, type KubeObject, type LabelSelector, type ObjectMeta } from '../../runtime/types.ts';
import type { PodTemplateSpec } from '../core/types.ts';

// The core kinds the batch controllers read, for the modules that import them from here.
export { POD } from '../core/types.ts';
export type { Container, ContainerStatus, Pod, PodSpec, PodStatus, PodTemplateSpec, RestartPolicy } from '../core/types.ts';

export const GROUP = 'batch.tentacle.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const JOB = defineKind<Job>(GROUP, VERSION, 'Job');
export const CRONJOB = defineKind<CronJob>(GROUP, VERSION, 'CronJob');

/** Labels and annotations on pods, upstream's names under our group, plus the short legacy forms. */
export const LABEL_CONTROLLER_UID = `${GROUP}/controller-uid`;
export const LABEL_JOB_NAME = `${GROUP}/job-name`;
export const LEGACY_LABEL_CONTROLLER_UID = 'controller-uid';
export const LEGACY_LABEL_JOB_NAME = 'job-name';
export const ANNOTATION_COMPLETION_INDEX = `${GROUP}/job-completion-index`;
export const LABEL_COMPLETION_INDEX = `${GROUP}/job-completion-index`;
export const ANNOTATION_INDEX_FAILURE_COUNT = `${GROUP}/job-index-failure-count`;
export const ANNOTATION_INDEX_IGNORED_FAILURE_COUNT = `${GROUP}/job-index-ignored-failure-count`;
/** Finalizer that keeps a finished pod until the Job has counted it (upstream batch.kubernetes.io/job-tracking). */
export const FINALIZER_JOB_TRACKING = `${GROUP}/job-tracking`;
/** Annotation on Jobs created by a CronJob: the scheduled time (upstream batch.kubernetes.io/cronjob-scheduled-timestamp). */
export const ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP = `${GROUP}/cronjob-scheduled-timestamp`;

export interface PodFailurePolicyOnExitCodesRequirement {
  containerName?: string;
  operator: 'In' | 'NotIn';
  values: number[];
}

export interface PodFailurePolicyOnPodConditionsPattern {
  type: string;
  status?: 'True' | 'False' | 'Unknown';
}

export interface PodFailurePolicyRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: PodFailurePolicyOnExitCodesRequirement;
  onPodConditions?: PodFailurePolicyOnPodConditionsPattern[];
}

export interface SuccessPolicyRule {
  succeededIndexes?: string;
  succeededCount?: number;
}

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number;
  podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  successPolicy?: { rules: SuccessPolicyRule[] };
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: 'NonIndexed' | 'Indexed';
  suspend?: boolean;
  podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed';
  managedBy?: string;
}

export type JobConditionType = 'Suspended' | 'Complete' | 'Failed' | 'FailureTarget' | 'SuccessCriteriaMet';

/** batch/v1 JobCondition (lastProbeTime and lastTransitionTime, optional reason and message). */
export interface JobCondition {
  type: JobConditionType;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
  ready?: number;
}

export interface Job extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

export interface JobTemplateSpec {
  metadata?: ObjectMeta;
  spec: JobSpec;
}

export interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  suspend?: boolean;
  jobTemplate: JobTemplateSpec;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
}

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  /** Beyond upstream: when the CronJob fires next (absent while suspended or unschedulable). */
  nextScheduleTime?: string;
  conditions?: JobCondition[] | { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export interface CronJob extends KubeObject {
  spec: CronJobSpec;
  status?: CronJobStatus;
}
