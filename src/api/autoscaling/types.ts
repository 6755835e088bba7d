// autoscaling.tentacle.dev/v1alpha1 HorizontalPodAutoscaler: the autoscaling/v2 API field for field (JSON
// shapes, as the API server sends them), so an autoscaling/v2 manifest works with only apiVersion changed.
// Beyond upstream: a Prometheus metric source, activation thresholds, scale to zero and dry run.
import { defineKind, type Condition, type KubeObject, type LabelSelector } from '../../runtime/types.ts';

export const GROUP = 'autoscaling.tentacle.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const HORIZONTAL_POD_AUTOSCALER = defineKind<HorizontalPodAutoscaler>(GROUP, VERSION, 'HorizontalPodAutoscaler');

/** resource.Quantity; the CRD schema also lets a plain number through. */
export type Quantity = string | number;

export interface CrossVersionObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

export type MetricSourceType = 'Object' | 'Pods' | 'Resource' | 'ContainerResource' | 'External' | 'Prometheus';
export type MetricTargetType = 'Utilization' | 'Value' | 'AverageValue';

export interface MetricTarget {
  type: MetricTargetType;
  value?: Quantity;
  averageValue?: Quantity;
  averageUtilization?: number;
  /**
   * Beyond upstream (KEDA-style): the metric counts as active only above this threshold, compared with
   * the same quantity the target compares (value, averageValue, or the utilization percentage).
   * Decides scaling from and to zero replicas. Default 0.
   */
  activationValue?: Quantity;
}

export interface MetricIdentifier {
  name: string;
  selector?: LabelSelector;
}

export interface ObjectMetricSource {
  describedObject: CrossVersionObjectReference;
  target: MetricTarget;
  metric: MetricIdentifier;
}

export interface PodsMetricSource {
  metric: MetricIdentifier;
  target: MetricTarget;
}

export interface ResourceMetricSource {
  name: string;
  target: MetricTarget;
}

export interface ContainerResourceMetricSource {
  name: string;
  target: MetricTarget;
  container: string;
}

export interface ExternalMetricSource {
  metric: MetricIdentifier;
  target: MetricTarget;
}

/**
 * Beyond upstream: a PromQL query that must return exactly one sample. target.type is Value (compare
 * the result) or AverageValue (the result divided by the current replica count, as External does).
 */
export interface PrometheusMetricSource {
  /** Defaults to the operator's configured Prometheus. */
  serverAddress?: string;
  query: string;
  target: MetricTarget;
}

export interface MetricSpec {
  type: MetricSourceType;
  object?: ObjectMetricSource;
  pods?: PodsMetricSource;
  resource?: ResourceMetricSource;
  containerResource?: ContainerResourceMetricSource;
  external?: ExternalMetricSource;
  prometheus?: PrometheusMetricSource;
}

export type ScalingPolicySelect = 'Max' | 'Min' | 'Disabled';
export type HPAScalingPolicyType = 'Pods' | 'Percent';

export interface HPAScalingPolicy {
  type: HPAScalingPolicyType;
  value: number;
  periodSeconds: number;
}

export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: ScalingPolicySelect;
  policies?: HPAScalingPolicy[];
  /** Fraction of the target within which no scaling happens (upstream HPAConfigurableTolerance, beta in 1.35). */
  tolerance?: Quantity;
}

export interface HorizontalPodAutoscalerBehavior {
  scaleUp?: HPAScalingRules;
  scaleDown?: HPAScalingRules;
}

export interface HorizontalPodAutoscalerSpec {
  scaleTargetRef: CrossVersionObjectReference;
  /**
   * Default 1. Beyond upstream: 0 enables scale to zero, which admission allows only when at least one
   * metric is Object, External or Prometheus (the only metrics that have a value with no pods running).
   */
  minReplicas?: number;
  maxReplicas: number;
  /** Default: one Resource metric, cpu at 80% average utilization. */
  metrics?: MetricSpec[];
  behavior?: HorizontalPodAutoscalerBehavior;
  /** Beyond upstream: decide and report everything (status, events), but never scale the target. */
  dryRun?: boolean;
}

export interface MetricValueStatus {
  value?: Quantity;
  averageValue?: Quantity;
  averageUtilization?: number;
}

export interface ObjectMetricStatus {
  metric: MetricIdentifier;
  current: MetricValueStatus;
  describedObject: CrossVersionObjectReference;
}

export interface PodsMetricStatus {
  metric: MetricIdentifier;
  current: MetricValueStatus;
}

export interface ResourceMetricStatus {
  name: string;
  current: MetricValueStatus;
}

export interface ContainerResourceMetricStatus {
  name: string;
  current: MetricValueStatus;
  container: string;
}

export interface ExternalMetricStatus {
  metric: MetricIdentifier;
  current: MetricValueStatus;
}

export interface PrometheusMetricStatus {
  query: string;
  current: MetricValueStatus;
}

/** As upstream, a metric that could not be computed is reported with an empty type and no values. */
export interface MetricStatus {
  type: MetricSourceType | '';
  object?: ObjectMetricStatus;
  pods?: PodsMetricStatus;
  resource?: ResourceMetricStatus;
  containerResource?: ContainerResourceMetricStatus;
  external?: ExternalMetricStatus;
  prometheus?: PrometheusMetricStatus;
}

export type HorizontalPodAutoscalerConditionType = 'ScalingActive' | 'AbleToScale' | 'ScalingLimited' | 'ScaledToZero';

/** HorizontalPodAutoscalerCondition, in the metav1.Condition shape (it is a subset of it). */
export type HorizontalPodAutoscalerCondition = Condition;

export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: HorizontalPodAutoscalerCondition[];
  /** Beyond upstream, for the REFERENCE printer column: `<kind>/<name>` of the target. */
  reference?: string;
  /** Beyond upstream, for the TARGETS printer column: current/target per metric, as kubectl prints v2. */
  targets?: string;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec: HorizontalPodAutoscalerSpec;
  status?: HorizontalPodAutoscalerStatus;
}

/** DefaultCPUUtilization: the metric used when spec.metrics is empty. */
export const DEFAULT_CPU_UTILIZATION = 80;
