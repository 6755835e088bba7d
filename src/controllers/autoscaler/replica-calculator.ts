// Port of upstream pkg/controller/podautoscaler/replica_calculator.go (and metrics/utilization.go) over
// plain data: the pods the target's selector matches and the metric readings already fetched. Go's int64
// and int32 arithmetic is kept where it matters (truncating division, ceil to whole replicas).
import type { Pod } from '../../api/core/types.ts';
import { parseQuantityMilli } from '../../runtime/util/quantity.ts';
import { perVersion, perVersionKeyed } from '../../runtime/util/derived.ts';
import { parseTimeOrUndefined } from '../../runtime/util/time.ts';
import type { PodMetrics } from './readings.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export const MAX_INT32 = 2 ** 31 - 1;

export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

export interface ReplicaCalculatorOptions {
  /** Samples of pods this young may still be skewed by start-up CPU (upstream default 5 min). */
  cpuInitializationPeriodMs: number;
  /** A not-ready pod that turned unready this soon after starting never was ready (default 30 s). */
  delayOfInitialReadinessStatusMs: number;
}

export const DEFAULT_REPLICA_CALCULATOR_OPTIONS: ReplicaCalculatorOptions = {
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

export const DEFAULT_TOLERANCE = 0.1;

/** A calculation either gives its result or fails with upstream's error text. */
export type CalcResult<T> = ({ ok: true } & T) | { ok: false; error: string };

export interface ResourceReplicas {
  replicas: number;
  /** Average utilization, percent of request. */
  utilization: number;
  /** Average usage per pod, milli-units. */
  rawValue: number;
  timestampMs: number;
}

export interface UsageReplicas {
  replicas: number;
  /** The usage reported in status: per-pod average, or the object's / external metric's value (milli). */
  usage: number;
  timestampMs: number;
}

export function isWithinTolerance(t: Tolerances, usageRatio: number): boolean {
  return 1.0 - t.scaleDown <= usageRatio && usageRatio <= 1.0 + t.scaleUp;
}

export function formatTolerances(t: Tolerances): string {
  return `[down:${(t.scaleDown * 100).toFixed(1)}%, up:${(t.scaleUp * 100).toFixed(1)}%]`;
}

/** Go's int32(math.Ceil(x)), saturating instead of wrapping. */
function ceilReplicas(x: number): number {
  return Math.min(Math.ceil(x), MAX_INT32);
}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

/**
 * groupPods: ignored = being deleted or Failed; unready = Pending, or (CPU only) not ready / sampled too
 * early in the CPU initialization period, or unready after start and never ready; missing = no sample.
 * A Ready condition without lastTransitionTime counts as transitioned at time 0 (Go's zero time).
 */
export function groupPods(
  pods: readonly ReadonlyDeep<Pod>[],
  metrics: PodMetrics,
  resource: string,
  now: number,
  options: ReplicaCalculatorOptions,
): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === 'Failed') {
      groups.ignoredPods.add(name);
      continue;
    }
    if (phase === 'Pending') {
      groups.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      groups.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const { startTime, ready } = readinessOf(pod);
      let unready: boolean;
      if (!ready || startTime === undefined) {
        unready = true;
      } else if (startTime + options.cpuInitializationPeriodMs > now) {
        // Still initializing: skip unready pods and samples not a full window after the last transition.
        unready = ready.status === 'False' || metric.timestampMs < ready.transition + metric.windowMs;
      } else {
        // Skip a pod that is unready and has never been ready.
        unready = ready.status === 'False' && startTime + options.delayOfInitialReadinessStatusMs > ready.transition;
      }
      if (unready) {
        groups.unreadyPods.add(name);
        continue;
      }
    }
    groups.readyPodCount++;
  }
  return groups;
}

/** A pod's start time and Ready condition (its status and transition time, ms), parsed once per pod version. */
const readinessOf = perVersion((pod: ReadonlyDeep<Pod>) => {
  const condition = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    startTime: parseTimeOrUndefined(pod.status?.startTime),
    ready: condition && { status: condition.status, transition: parseTimeOrUndefined(condition.lastTransitionTime) ?? 0 },
  };
});

/** A copy of `metrics` without the given pods. */
export function removeMetricsForPods(metrics: PodMetrics, pods: ReadonlySet<string>): PodMetrics {
  const result: PodMetrics = new Map(metrics);
  for (const name of pods) result.delete(name);
  return result;
}

type ResourceList = Record<string, string | number> | undefined;

interface ContainerLike {
  name: string;
  resources?: { requests?: ResourceList };
  restartPolicy?: string;
}

function requestMilli(list: ResourceList, resource: string): number | undefined {
  const q = list?.[resource];
  return q === undefined ? undefined : parseQuantityMilli(String(q));
}

const podLevelResources = new Set(['cpu', 'memory']);

function isPodLevelRequestsSet(pod: ReadonlyDeep<Pod>): boolean {
  const requests = podLevelRequests(pod);
  return Object.keys(requests ?? {}).some((r) => podLevelResources.has(r) || r.startsWith('hugepages-'));
}

function podLevelRequests(pod: ReadonlyDeep<Pod>): ResourceList {
  return (pod.spec.resources as { requests?: ResourceList } | undefined)?.requests;
}

/**
 * calculateRequests: each pod's request (milli) for the resource. With a container name, that
 * container's; else the pod-level request when the pod sets pod-level requests (PodLevelResources, on by
 * default since 1.34); else the sum over containers and restartable (sidecar) init containers.
 */
export function calculateRequests(pods: readonly ReadonlyDeep<Pod>[], container: string, resource: string): CalcResult<{ requests: Map<string, number> }> {
  const requests = new Map<string, number>();
  const key = `${container}\0${resource}`;
  for (const pod of pods) {
    const result = requestOf(pod, key);
    if (!result.ok) return result;
    requests.set(pod.metadata.name ?? '', result.request);
  }
  return { ok: true, requests };
}

/** One pod's request for `container\0resource` (container '' for the whole pod), parsed once per pod version. */
const requestOf = perVersionKeyed((pod: ReadonlyDeep<Pod>, key: string): CalcResult<{ request: number }> => {
  const [container = '', resource = ''] = key.split('\0');
  return container === '' && isPodLevelRequestsSet(pod) ? podRequest(pod, resource) : containersRequest(pod, container, resource);
});

/** resourcehelpers.PodRequests for one resource: pod-level value if set, else the aggregate, plus overhead. */
function podRequest(pod: ReadonlyDeep<Pod>, resource: string): CalcResult<{ request: number }> {
  let request = requestMilli(podLevelRequests(pod), resource);
  if (request === undefined) request = aggregateContainerRequest(pod, resource);
  if (request === undefined) return { ok: false, error: `missing pod-level request for ${resource} in Pod ${pod.metadata.name}` };
  const overhead = requestMilli(pod.spec.overhead as ResourceList, resource);
  return { ok: true, request: request + (overhead ?? 0) };
}

/** AggregateContainerRequests (sidecar KEP formula) for one resource; undefined if no container requests it. */
function aggregateContainerRequest(pod: ReadonlyDeep<Pod>, resource: string): number | undefined {
  let found = false;
  const read = (c: ContainerLike) => {
    const v = requestMilli(c.resources?.requests, resource);
    if (v !== undefined) found = true;
    return v ?? 0;
  };
  let sum = 0;
  for (const c of pod.spec.containers as readonly ContainerLike[]) sum += read(c);
  let restartable = 0;
  let initMax = 0;
  for (const c of (pod.spec.initContainers ?? []) as readonly ContainerLike[]) {
    const v = read(c);
    if (c.restartPolicy === 'Always') {
      sum += v;
      restartable += v;
      initMax = Math.max(initMax, restartable);
    } else {
      initMax = Math.max(initMax, v + restartable);
    }
  }
  return found ? Math.max(sum, initMax) : undefined;
}

function containersRequest(pod: ReadonlyDeep<Pod>, container: string, resource: string): CalcResult<{ request: number }> {
  const containers = [...(pod.spec.containers as readonly ContainerLike[])];
  for (const c of (pod.spec.initContainers ?? []) as readonly ContainerLike[]) {
    if (c.restartPolicy === 'Always') containers.push(c);
  }
  let request = 0;
  for (const c of containers) {
    if (container === '' || container === c.name) {
      const v = requestMilli(c.resources?.requests, resource);
      if (v === undefined) return { ok: false, error: `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}` };
      request += v;
    }
    if (container === c.name) return { ok: true, request };
  }
  if (container !== '') return { ok: false, error: `container ${container} not found in Pod ${pod.metadata.name}` };
  return { ok: true, request };
}

/** GetResourceUtilizationRatio: metrics without a known request are extraneous and skipped. */
export function getResourceUtilizationRatio(
  metrics: PodMetrics,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): CalcResult<{ usageRatio: number; utilization: number; rawAverage: number }> {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, metric] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    metricsTotal += metric.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) return { ok: false, error: 'no metrics returned matched known pods' };
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ok: true, usageRatio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** GetMetricUsageRatio: the average over the samples, against the target. */
export function getMetricUsageRatio(metrics: PodMetrics, targetUsage: number): { usageRatio: number; usage: number } {
  let total = 0;
  for (const metric of metrics.values()) total += metric.value;
  const usage = Math.trunc(total / metrics.size);
  return { usageRatio: usage / targetUsage, usage };
}

export interface PodsInput {
  currentReplicas: number;
  pods: readonly ReadonlyDeep<Pod>[];
  metrics: PodMetrics;
  timestampMs: number;
  tolerances: Tolerances;
  now: number;
  options: ReplicaCalculatorOptions;
}

const noPods = 'no pods returned by selector while calculating replica count';
const noReadyMetrics = 'did not receive metrics for targeted pods (pods might be unready)';

/** GetResourceReplicas: utilization (percent of request) of a resource, optionally of one container. */
export function getResourceReplicas(
  input: PodsInput & { targetUtilization: number; resource: string; container: string },
): CalcResult<ResourceReplicas> {
  const { currentReplicas, pods, tolerances, targetUtilization, resource } = input;
  if (input.metrics.size === 0) {
    return { ok: false, error: `unable to get metrics for resource ${resource}: no metrics returned from resource metrics API` };
  }
  if (pods.length === 0) return { ok: false, error: noPods };
  const groups = groupPods(pods, input.metrics, resource, input.now, input.options);
  let metrics = removeMetricsForPods(input.metrics, groups.ignoredPods);
  metrics = removeMetricsForPods(metrics, groups.unreadyPods);
  if (metrics.size === 0) return { ok: false, error: noReadyMetrics };

  const requestsResult = calculateRequests(pods, input.container, resource);
  if (!requestsResult.ok) return requestsResult;
  const { requests } = requestsResult;

  const ratio = getResourceUtilizationRatio(metrics, requests, targetUtilization);
  if (!ratio.ok) return ratio;
  const { usageRatio, utilization, rawAverage } = ratio;
  const result = (replicas: number): CalcResult<ResourceReplicas> => ({
    ok: true,
    replicas,
    utilization,
    rawValue: rawAverage,
    timestampMs: input.timestampMs,
  });

  const scaleUpWithUnready = groups.unreadyPods.size > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missingPods.size === 0) {
    if (isWithinTolerance(tolerances, usageRatio)) return result(currentReplicas);
    return result(ceilReplicas(usageRatio * groups.readyPodCount));
  }

  if (groups.missingPods.size > 0) {
    if (usageRatio < 1.0) {
      // Scale-down: missing pods are assumed at 100% of request (or of the target when it is above 100%).
      const fallback = Math.max(100, targetUtilization);
      for (const name of groups.missingPods) {
        metrics.set(name, { value: Math.trunc(((requests.get(name) ?? 0) * fallback) / 100), timestampMs: 0, windowMs: 0 });
      }
    } else if (usageRatio > 1.0) {
      // Scale-up: missing pods are assumed idle.
      for (const name of groups.missingPods) metrics.set(name, { value: 0, timestampMs: 0, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) {
    for (const name of groups.unreadyPods) metrics.set(name, { value: 0, timestampMs: 0, windowMs: 0 });
  }

  const rerun = getResourceUtilizationRatio(metrics, requests, targetUtilization);
  if (!rerun.ok) return rerun;
  const newUsageRatio = rerun.usageRatio;
  if (wouldKeepCurrent(tolerances, usageRatio, newUsageRatio)) return result(currentReplicas);
  const newReplicas = ceilReplicas(newUsageRatio * metrics.size);
  if (reversesDirection(newUsageRatio, newReplicas, currentReplicas)) return result(currentReplicas);
  return result(newReplicas);
}

/** Too small a change, or the assumed values for missing / unready pods flip the direction. */
function wouldKeepCurrent(tolerances: Tolerances, usageRatio: number, newUsageRatio: number): boolean {
  return (
    isWithinTolerance(tolerances, newUsageRatio) ||
    (usageRatio < 1.0 && newUsageRatio > 1.0) ||
    (usageRatio > 1.0 && newUsageRatio < 1.0)
  );
}

/** Counting more pods than are ready can turn a scale-down into a scale-up (or the reverse). */
function reversesDirection(newUsageRatio: number, newReplicas: number, currentReplicas: number): boolean {
  return (newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas);
}

/** GetRawResourceReplicas: a resource's average usage per pod (milli-units) against an AverageValue target. */
export function getRawResourceReplicas(input: PodsInput & { targetUsage: number; resource: string }): CalcResult<UsageReplicas> {
  if (input.metrics.size === 0) {
    return { ok: false, error: `unable to get metrics for resource ${input.resource}: no metrics returned from resource metrics API` };
  }
  return calcPlainMetricReplicas(input, input.targetUsage, input.resource);
}

/** GetMetricReplicas: a Pods metric's average per pod against its AverageValue target. */
export function getMetricReplicas(input: PodsInput & { targetUsage: number; metricName: string }): CalcResult<UsageReplicas> {
  if (input.metrics.size === 0) {
    return { ok: false, error: `unable to get metric ${input.metricName}: no metrics returned from custom metrics API` };
  }
  return calcPlainMetricReplicas(input, input.targetUsage, '');
}

function calcPlainMetricReplicas(input: PodsInput, targetUsage: number, resource: string): CalcResult<UsageReplicas> {
  const { currentReplicas, pods, tolerances } = input;
  if (pods.length === 0) return { ok: false, error: noPods };
  const groups = groupPods(pods, input.metrics, resource, input.now, input.options);
  let metrics = removeMetricsForPods(input.metrics, groups.ignoredPods);
  metrics = removeMetricsForPods(metrics, groups.unreadyPods);
  if (metrics.size === 0) return { ok: false, error: noReadyMetrics };

  const { usageRatio, usage } = getMetricUsageRatio(metrics, targetUsage);
  const result = (replicas: number): CalcResult<UsageReplicas> => ({ ok: true, replicas, usage, timestampMs: input.timestampMs });

  const scaleUpWithUnready = groups.unreadyPods.size > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missingPods.size === 0) {
    if (isWithinTolerance(tolerances, usageRatio)) return result(currentReplicas);
    return result(ceilReplicas(usageRatio * groups.readyPodCount));
  }
  if (groups.missingPods.size > 0) {
    if (usageRatio < 1.0) {
      // Scale-down: missing pods are assumed exactly at target.
      for (const name of groups.missingPods) metrics.set(name, { value: targetUsage, timestampMs: 0, windowMs: 0 });
    } else if (usageRatio > 1.0) {
      for (const name of groups.missingPods) metrics.set(name, { value: 0, timestampMs: 0, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) {
    for (const name of groups.unreadyPods) metrics.set(name, { value: 0, timestampMs: 0, windowMs: 0 });
  }
  const newUsageRatio = getMetricUsageRatio(metrics, targetUsage).usageRatio;
  if (wouldKeepCurrent(tolerances, usageRatio, newUsageRatio)) return result(currentReplicas);
  const newReplicas = ceilReplicas(newUsageRatio * metrics.size);
  if (reversesDirection(newUsageRatio, newReplicas, currentReplicas)) return result(currentReplicas);
  return result(newReplicas);
}

/** Pods Running with Ready=True (getReadyPodsCount). */
export function readyPodsCount(pods: readonly ReadonlyDeep<Pod>[]): CalcResult<{ count: number }> {
  if (pods.length === 0) return { ok: false, error: noPods };
  let count = 0;
  for (const pod of pods) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    if (pod.status?.phase === 'Running' && ready) count++;
  }
  return { ok: true, count };
}

/**
 * getUsageRatioReplicaCount: scales the ready pods by the ratio. From zero replicas there are no pods to
 * scale and tolerance does not apply: ceil(ratio) replicas, so zero stays zero until the metric moves.
 */
export function getUsageRatioReplicaCount(
  currentReplicas: number,
  usageRatio: number,
  tolerances: Tolerances,
  pods: readonly ReadonlyDeep<Pod>[],
): CalcResult<{ replicas: number }> {
  if (currentReplicas === 0) return { ok: true, replicas: ceilReplicas(usageRatio) };
  if (isWithinTolerance(tolerances, usageRatio)) return { ok: true, replicas: currentReplicas };
  const ready = readyPodsCount(pods);
  if (!ready.ok) return { ok: false, error: `unable to calculate ready pods: ${ready.error}` };
  return { ok: true, replicas: ceilReplicas(usageRatio * ready.count) };
}

/** GetObjectMetricReplicas: the object's value against a Value target. */
export function getObjectMetricReplicas(input: {
  currentReplicas: number;
  targetUsage: number;
  usage: number;
  tolerances: Tolerances;
  pods: readonly ReadonlyDeep<Pod>[];
  timestampMs: number;
}): CalcResult<UsageReplicas> {
  const r = getUsageRatioReplicaCount(input.currentReplicas, input.usage / input.targetUsage, input.tolerances, input.pods);
  if (!r.ok) return r;
  // Upstream returns a zero timestamp here; the object's own timestamp is more useful and harmless.
  return { ok: true, replicas: r.replicas, usage: input.usage, timestampMs: input.timestampMs };
}

/**
 * GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: a total against an AverageValue
 * target, i.e. total / target replicas. The reported average is total / replicas (the total itself at
 * zero replicas, where upstream would divide by zero).
 */
export function getPerPodMetricReplicas(input: {
  statusReplicas: number;
  targetAverageUsage: number;
  usage: number;
  tolerances: Tolerances;
  timestampMs: number;
}): CalcResult<UsageReplicas> {
  const { statusReplicas, targetAverageUsage, usage } = input;
  let replicas = statusReplicas;
  const usageRatio = usage / (targetAverageUsage * statusReplicas);
  if (!isWithinTolerance(input.tolerances, usageRatio)) replicas = ceilReplicas(usage / targetAverageUsage);
  const average = Math.ceil(usage / Math.max(1, statusReplicas));
  return { ok: true, replicas, usage: average, timestampMs: input.timestampMs };
}

export const getObjectPerPodMetricReplicas = getPerPodMetricReplicas;
export const getExternalPerPodMetricReplicas = (input: Omit<Parameters<typeof getPerPodMetricReplicas>[0], 'usage'> & { values: readonly number[] }) =>
  getPerPodMetricReplicas({ ...input, usage: sumValues(input.values) });

/** The sum of all matching series (External), as upstream adds them up. */
export function sumValues(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** GetExternalMetricReplicas: the sum of the matching series against a Value target. */
export function getExternalMetricReplicas(input: {
  currentReplicas: number;
  targetUsage: number;
  values: readonly number[];
  tolerances: Tolerances;
  pods: readonly ReadonlyDeep<Pod>[];
  timestampMs: number;
}): CalcResult<UsageReplicas> {
  const usage = sumValues(input.values);
  const r = getUsageRatioReplicaCount(input.currentReplicas, usage / input.targetUsage, input.tolerances, input.pods);
  if (!r.ok) return r;
  return { ok: true, replicas: r.replicas, usage, timestampMs: input.timestampMs };
}
