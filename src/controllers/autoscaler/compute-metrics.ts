// computeReplicasForMetric(s) of upstream horizontal.go: one replica proposal per spec.metrics entry from
// its reading, the metric's status, and the failure (condition, event, error text) when there is none.
// Beyond upstream: Prometheus metrics (handled as External ones) and activation thresholds.
import type { MetricIdentifier, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus } from '../../api/autoscaling/types.ts';
import type { Pod } from '../../api/core/types.ts';
import { formatQuantity, parseQuantity, parseQuantityMilli } from '../../runtime/util/quantity.ts';
import type { QuantityFormat } from '../../runtime/util/quantity.ts';
import { selectorToString } from '../../runtime/util/selectors.ts';
import type { MetricReading, PodMetrics } from './readings.ts';
import { FAILURE_REASON } from './readings.ts';
import {
  getExternalMetricReplicas,
  getMetricReplicas,
  getObjectMetricReplicas,
  getPerPodMetricReplicas,
  getRawResourceReplicas,
  getResourceReplicas,
  sumValues,
} from './replica-calculator.ts';
import type { CalcResult, ReplicaCalculatorOptions, Tolerances, UsageReplicas } from './replica-calculator.ts';
import { mutableCopy, type LabelSelector, type ReadonlyDeep } from '../../runtime/types.ts';

export interface MetricContext {
  namespace: string;
  /** The target's replicas (scale spec): the base for most proposals. */
  specReplicas: number;
  /** The target's current pods (scale status): the divisor of per-pod averages of Object/External metrics. */
  statusReplicas: number;
  /** Pods the target's selector matches. */
  pods: readonly ReadonlyDeep<Pod>[];
  tolerances: Tolerances;
  now: number;
  options: ReplicaCalculatorOptions;
}

export interface MetricFailure {
  ok: false;
  /** ScalingActive False with this reason and message, if this is the first failure. */
  reason: string;
  conditionMessage: string;
  /** Warning event with `reason` (upstream records one per failing metric). */
  eventMessage: string;
  /** The error computeReplicasForMetric returns, quoted in FailedComputeMetricsReplicas. */
  error: string;
}

export interface MetricProposal {
  ok: true;
  replicas: number;
  metricName: string;
  timestampMs: number;
  status: MetricStatus;
  /** Object, External and Prometheus metrics have values with no pods, so they can wake a target from zero. */
  activatable: boolean;
  /** Above the target's activationValue (default 0). */
  active: boolean;
}

export type MetricResult = MetricProposal | MetricFailure;

function fail(reason: string, eventMessage: string, error: string): MetricFailure {
  return { ok: false, reason, eventMessage, conditionMessage: `the HPA was unable to compute the replica count: ${eventMessage}`, error };
}

/** NewMilliQuantity(milli, format).String(). */
export function milliQuantity(milli: number, format: QuantityFormat = 'DecimalSI'): string {
  if (!Number.isFinite(milli)) return formatQuantity(Number.MAX_SAFE_INTEGER, format);
  return formatQuantity(`${Math.trunc(milli)}m`, format);
}

/** The activation threshold in the unit `compared` uses (milli for values, percent for utilization). */
function isActive(target: MetricTarget, compared: number, milli: boolean): boolean {
  const activation = target.activationValue;
  if (activation === undefined) return compared > 0;
  const threshold = milli ? parseQuantityMilli(String(activation)) : parseQuantity(String(activation));
  return compared > threshold;
}

function targetMilli(q: string | number | undefined): number | undefined {
  return q === undefined ? undefined : parseQuantityMilli(String(q));
}

function describeSelector(selector: ReadonlyDeep<LabelSelector> | undefined): string {
  if (!selector) return 'nil';
  try {
    return selectorToString(selector);
  } catch {
    return JSON.stringify(selector);
  }
}

type PodsReading = Extract<MetricReading, { kind: 'pods' }>;
type ObjectReading = Extract<MetricReading, { kind: 'object' }>;
type ValuesReading = Extract<MetricReading, { kind: 'values' }>;

function expect<K extends 'pods' | 'object' | 'values'>(reading: MetricReading | undefined, kind: K): Extract<MetricReading, { kind: K }> | string {
  if (!reading) return 'no reading was fetched for this metric';
  if (!reading.ok) return reading.message;
  if (reading.kind !== kind) return `expected a ${kind} reading, got ${reading.kind}`;
  return reading as Extract<MetricReading, { kind: K }>;
}

/** computeReplicasForMetric: one metric's proposal, or why there is none. */
export function computeReplicasForMetric(spec: ReadonlyDeep<MetricSpec>, reading: MetricReading | undefined, ctx: MetricContext): MetricResult {
  const failedReason = reading && !reading.ok ? reading.reason : undefined;
  switch (spec.type) {
    case 'Resource':
      if (!spec.resource) return invalidSource(spec.type);
      return resourceMetric(spec.resource.name, '', spec.resource.target, expect(reading, 'pods'), ctx, failedReason);
    case 'ContainerResource':
      if (!spec.containerResource) return invalidSource(spec.type);
      return resourceMetric(spec.containerResource.name, spec.containerResource.container, spec.containerResource.target, expect(reading, 'pods'), ctx, failedReason);
    case 'Pods':
      if (!spec.pods) return invalidSource(spec.type);
      return podsMetric(spec, expect(reading, 'pods'), ctx, failedReason);
    case 'Object':
      if (!spec.object) return invalidSource(spec.type);
      return objectMetric(spec, expect(reading, 'object'), ctx, failedReason);
    case 'External':
    case 'Prometheus':
      return valuesMetric(spec, expect(reading, 'values'), ctx, failedReason);
    default: {
      const error = `unknown metric source type "${String(spec.type)}"`;
      return fail('InvalidMetricSourceType', error, error);
    }
  }
}

function invalidSource(type: MetricSpec['type']): MetricFailure {
  const error = `invalid metric source: type ${type} without its ${type.charAt(0).toLowerCase() + type.slice(1)} field`;
  return fail('InvalidMetricSourceType', error, error);
}

function resourceMetric(
  name: string,
  container: string,
  target: MetricTarget,
  reading: PodsReading | string,
  ctx: MetricContext,
  failedReason: string | undefined,
): MetricResult {
  const isContainer = container !== '';
  const reason = failedReason ?? (isContainer ? FAILURE_REASON.ContainerResource : FAILURE_REASON.Resource);
  const outer = isContainer ? `failed to get ${container} container metric value` : `failed to get ${name} resource metric value`;
  const failWith = (inner: string) => fail(reason, inner, `${outer}: ${inner}`);
  const format: QuantityFormat = name === 'memory' ? 'BinarySI' : 'DecimalSI';
  const statusOf = (current: MetricValueStatus): MetricStatus =>
    isContainer ? { type: 'ContainerResource', containerResource: { name, container, current } } : { type: 'Resource', resource: { name, current } };

  const averageValue = targetMilli(target.averageValue);
  if (averageValue !== undefined) {
    if (typeof reading === 'string') return failWith(`failed to get ${name} usage: unable to get metrics for resource ${name}: ${reading}`);
    const r = getRawResourceReplicas({ ...podsInput(reading, ctx), targetUsage: averageValue, resource: name });
    if (!r.ok) return failWith(`failed to get ${name} usage: ${r.error}`);
    return {
      ok: true,
      replicas: r.replicas,
      metricName: `${name} resource`,
      timestampMs: r.timestampMs,
      status: statusOf({ averageValue: milliQuantity(r.usage, format) }),
      activatable: false,
      active: isActive(target, r.usage, true),
    };
  }
  if (target.averageUtilization === undefined) {
    return failWith('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  if (typeof reading === 'string') return failWith(`failed to get ${name} utilization: unable to get metrics for resource ${name}: ${reading}`);
  const r = getResourceReplicas({ ...podsInput(reading, ctx), targetUtilization: target.averageUtilization, resource: name, container });
  if (!r.ok) return failWith(`failed to get ${name} utilization: ${r.error}`);
  return {
    ok: true,
    replicas: r.replicas,
    metricName: isContainer
      ? `${name} container resource utilization (percentage of request)`
      : `${name} resource utilization (percentage of request)`,
    timestampMs: r.timestampMs,
    status: statusOf({ averageUtilization: r.utilization, averageValue: milliQuantity(r.rawValue, format) }),
    activatable: false,
    active: isActive(target, r.utilization, false),
  };
}

function podsInput(reading: PodsReading, ctx: MetricContext): { currentReplicas: number; pods: readonly ReadonlyDeep<Pod>[]; metrics: PodMetrics; timestampMs: number; tolerances: Tolerances; now: number; options: ReplicaCalculatorOptions } {
  return {
    currentReplicas: ctx.specReplicas,
    pods: ctx.pods,
    metrics: reading.metrics,
    timestampMs: reading.timestampMs,
    tolerances: ctx.tolerances,
    now: ctx.now,
    options: ctx.options,
  };
}

/** The status's copy of a spec's metric identifier (the status is written; the spec is the cache's). */
function identifierFor(metric: ReadonlyDeep<MetricIdentifier>): MetricIdentifier {
  return metric.selector ? { name: metric.name, selector: mutableCopy<LabelSelector>(metric.selector) } : { name: metric.name };
}

function podsMetric(spec: ReadonlyDeep<MetricSpec>, reading: PodsReading | string, ctx: MetricContext, failedReason: string | undefined): MetricResult {
  const source = spec.pods!;
  const name = source.metric.name;
  const reason = failedReason ?? FAILURE_REASON.Pods;
  const failWith = (inner: string) => fail(reason, inner, `failed to get pods metric value: ${inner}`);
  const target = targetMilli(source.target.averageValue);
  if (target === undefined) return failWith('invalid pods metric source: no average value target was set');
  if (typeof reading === 'string') return failWith(`unable to get metric ${name}: ${reading}`);
  const r = getMetricReplicas({ ...podsInput(reading, ctx), targetUsage: target, metricName: name });
  if (!r.ok) return failWith(r.error);
  const metric = identifierFor(source.metric);
  return {
    ok: true,
    replicas: r.replicas,
    metricName: `pods metric ${name}`,
    timestampMs: r.timestampMs,
    status: { type: 'Pods', pods: { metric, current: { averageValue: milliQuantity(r.usage) } } },
    activatable: false,
    active: isActive(source.target, r.usage, true),
  };
}

function objectMetric(spec: ReadonlyDeep<MetricSpec>, reading: ObjectReading | string, ctx: MetricContext, failedReason: string | undefined): MetricResult {
  const source = spec.object!;
  const name = source.metric.name;
  const obj = source.describedObject;
  const reason = failedReason ?? FAILURE_REASON.Object;
  const failWith = (inner: string) => fail(reason, inner, `failed to get object metric value: ${inner}`);
  const metric = identifierFor(source.metric);
  const proposal = (r: CalcResult<UsageReplicas>, current: MetricValueStatus, compared: number): MetricResult => {
    if (!r.ok) return failWith(r.error);
    return {
      ok: true,
      replicas: r.replicas,
      metricName: `${obj.kind} metric ${name}`,
      timestampMs: r.timestampMs,
      status: { type: 'Object', object: { metric, current, describedObject: obj } },
      activatable: true,
      active: isActive(source.target, compared, true),
    };
  };
  const unavailable = (message: string) => failWith(`unable to get metric ${name}: ${message} on ${obj.kind} ${ctx.namespace}/${obj.name}`);
  const value = targetMilli(source.target.value);
  if (source.target.type === 'Value' && value !== undefined) {
    if (typeof reading === 'string') return unavailable(reading);
    const r = getObjectMetricReplicas({
      currentReplicas: ctx.specReplicas,
      targetUsage: value,
      usage: reading.value,
      tolerances: ctx.tolerances,
      pods: ctx.pods,
      timestampMs: reading.timestampMs,
    });
    return proposal(r, { value: milliQuantity(reading.value) }, reading.value);
  }
  const averageValue = targetMilli(source.target.averageValue);
  if (source.target.type === 'AverageValue' && averageValue !== undefined) {
    if (typeof reading === 'string') return unavailable(reading);
    const r = getPerPodMetricReplicas({
      statusReplicas: ctx.statusReplicas,
      targetAverageUsage: averageValue,
      usage: reading.value,
      tolerances: ctx.tolerances,
      timestampMs: reading.timestampMs,
    });
    const average = r.ok ? r.usage : 0;
    return proposal(r, { averageValue: milliQuantity(average) }, average);
  }
  return failWith('invalid object metric source: neither a value target nor an average value target was set');
}

/** External metrics, and Prometheus metrics which behave like them. */
function valuesMetric(spec: ReadonlyDeep<MetricSpec>, reading: ValuesReading | string, ctx: MetricContext, failedReason: string | undefined): MetricResult {
  const prometheus = spec.type === 'Prometheus';
  const source = prometheus ? spec.prometheus : spec.external;
  if (!source) return invalidSource(spec.type);
  const name = 'query' in source ? source.query : source.metric.name;
  const selector = 'metric' in source ? source.metric.selector : undefined;
  const metricName = prometheus ? `prometheus query ${name}` : `external metric ${name}(${describeSelector(selector)})`;
  const reason = failedReason ?? (prometheus ? FAILURE_REASON.Prometheus : FAILURE_REASON.External);
  const kind = prometheus ? 'prometheus' : 'external';
  const unavailable = (message: string) => `unable to get ${kind} metric ${ctx.namespace}/${name}/${describeSelector(selector)}: ${message}`;
  const statusOf = (current: MetricValueStatus): MetricStatus =>
    'query' in source
      ? { type: 'Prometheus', prometheus: { query: source.query, current } }
      : { type: 'External', external: { metric: identifierFor(source.metric), current } };
  const valuesOf = (r: ValuesReading): number[] | string =>
    prometheus && r.values.length !== 1 ? `the query returned ${r.values.length} samples, expected exactly one` : r.values;

  const averageValue = targetMilli(source.target.averageValue);
  if (averageValue !== undefined) {
    const failWith = (inner: string) => fail(reason, inner, `failed to get ${name} ${kind} metric value: failed to get ${name} ${kind} metric: ${inner}`);
    if (typeof reading === 'string') return failWith(unavailable(reading));
    const values = valuesOf(reading);
    if (typeof values === 'string') return failWith(unavailable(values));
    const r = getPerPodMetricReplicas({
      statusReplicas: ctx.statusReplicas,
      targetAverageUsage: averageValue,
      usage: sumValues(values),
      tolerances: ctx.tolerances,
      timestampMs: reading.timestampMs,
    });
    if (!r.ok) return failWith(r.error);
    return {
      ok: true,
      replicas: r.replicas,
      metricName,
      timestampMs: r.timestampMs,
      status: statusOf({ averageValue: milliQuantity(r.usage) }),
      activatable: true,
      active: isActive(source.target, r.usage, true),
    };
  }
  const value = targetMilli(source.target.value);
  if (value !== undefined) {
    const failWith = (inner: string) => fail(reason, inner, `failed to get ${name} ${kind} metric value: failed to get ${kind} metric ${name}: ${inner}`);
    if (typeof reading === 'string') return failWith(unavailable(reading));
    const values = valuesOf(reading);
    if (typeof values === 'string') return failWith(unavailable(values));
    const r = getExternalMetricReplicas({
      currentReplicas: ctx.specReplicas,
      targetUsage: value,
      values,
      tolerances: ctx.tolerances,
      pods: ctx.pods,
      timestampMs: reading.timestampMs,
    });
    if (!r.ok) return failWith(r.error);
    return {
      ok: true,
      replicas: r.replicas,
      metricName,
      timestampMs: r.timestampMs,
      status: statusOf({ value: milliQuantity(r.usage) }),
      activatable: true,
      active: isActive(source.target, r.usage, true),
    };
  }
  const error = `invalid ${kind} metric source: neither a value target nor an average value target was set`;
  return fail(reason, error, error);
}

export interface MetricsOutcome {
  /** -1: no decision possible (every metric failed, or some failed and the rest would scale down). */
  replicas: number;
  metricName: string;
  timestampMs: number;
  /** One per metric, in order; an empty type for a metric that failed (as upstream). */
  statuses: MetricStatus[];
  results: MetricResult[];
  /** The first failure, wrapped as upstream reports it. */
  error?: string;
  firstFailure?: MetricFailure;
}

/**
 * computeReplicasForMetrics: the largest proposal. Failing metrics never make the HPA scale down: if
 * any failed and the rest propose fewer replicas than the target has, there is no decision.
 */
export function computeReplicasForMetrics(specs: readonly ReadonlyDeep<MetricSpec>[], readings: readonly (MetricReading | undefined)[], ctx: MetricContext): MetricsOutcome {
  const outcome: MetricsOutcome = { replicas: 0, metricName: '', timestampMs: 0, statuses: [], results: [] };
  let invalid = 0;
  specs.forEach((spec, i) => {
    const result = computeReplicasForMetric(spec, readings[i], ctx);
    outcome.results.push(result);
    if (!result.ok) {
      outcome.statuses.push({ type: '' });
      if (invalid === 0) outcome.firstFailure = result;
      invalid++;
      return;
    }
    outcome.statuses.push(result.status);
    if (outcome.replicas === 0 || result.replicas > outcome.replicas) {
      outcome.replicas = result.replicas;
      outcome.metricName = result.metricName;
      outcome.timestampMs = result.timestampMs;
    }
  });
  if (outcome.firstFailure) {
    outcome.error = `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${outcome.firstFailure.error}`;
  }
  if (invalid >= specs.length || (invalid > 0 && outcome.replicas < ctx.specReplicas)) {
    return { ...outcome, replicas: -1, metricName: '', timestampMs: 0 };
  }
  return outcome;
}
