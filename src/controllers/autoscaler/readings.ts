// The contract between the metric fetchers (which talk to metrics-server, the custom / external metrics
// APIs and Prometheus) and the pure autoscaling logic: what was fetched, already reduced to numbers.

/** One pod's sample: value in milli-units (millicores for CPU, milli-bytes for memory, milli for custom). */
export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  value: number;
}

export type PodMetrics = Map<string, PodMetric>; // by pod name

/** What was fetched for spec.metrics[i]; the reconciler passes one per metric, in order. */
export type MetricReading =
  | { ok: true; kind: 'pods'; metrics: PodMetrics; timestampMs: number } // Resource, ContainerResource, Pods
  | { ok: true; kind: 'object'; value: number; timestampMs: number } // Object: the object's metric value (milli)
  | { ok: true; kind: 'values'; values: number[]; timestampMs: number } // External (all matching series) and Prometheus (exactly one value)
  | { ok: false; reason: string; message: string }; // fetch failed, e.g. reason FailedGetResourceMetric / FailedGetPrometheusMetric

export type FailedReading = Extract<MetricReading, { ok: false }>;

/** The reason upstream gives a failed metric of each source type (condition reason and event reason). */
export const FAILURE_REASON = {
  Object: 'FailedGetObjectMetric',
  Pods: 'FailedGetPodsMetric',
  Resource: 'FailedGetResourceMetric',
  ContainerResource: 'FailedGetContainerResourceMetric',
  External: 'FailedGetExternalMetric',
  Prometheus: 'FailedGetPrometheusMetric',
} as const;

export function failedReading(reason: string, message: string): FailedReading {
  return { ok: false, reason, message };
}
