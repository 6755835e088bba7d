// The observe step's metric reads: one MetricReading per spec.metrics[i], from the resource metrics API
// (metrics.k8s.io, served by metrics-server), the custom and external metrics APIs (served by an
// adapter through the aggregation layer) and, beyond upstream, a Prometheus server's query API. Paths,
// query parameters and "no metrics" errors follow upstream's pkg/controller/podautoscaler/metrics.
// A failed read becomes a reading with ok: false (reason as upstream's event reasons), never a throw:
// the decision must see which metric failed to keep a failing metric from causing a scale-down.
import type { MetricSpec } from '../../api/autoscaling/types.ts';
import type { Client } from '../../runtime/client/client.ts';
import { gvkOf, type ReadonlyDeep } from '../../runtime/types.ts';
import { parseDuration } from '../../runtime/util/duration.ts';
import { parseQuantityMilli } from '../../runtime/util/quantity.ts';
import { selectorToString } from '../../runtime/util/selectors.ts';
import { parseTimeOrUndefined } from '../../runtime/util/time.ts';
import { FAILURE_REASON, type MetricReading, type PodMetrics } from './readings.ts';
import { queryPrometheus } from './prometheus.ts';

/** Upstream's metricServerDefaultMetricWindow: the window assumed when a custom metric names none. */
const DEFAULT_WINDOW_MS = 60_000;

export interface FetchContext {
  namespace: string;
  /** The target's pod selector (scale status.selector), as text. */
  podSelector: string;
  /** The target's current replicas, for per-pod external / Prometheus targets. */
  currentReplicas: number;
  /** Prometheus server for metrics that name none (the operator's --prometheus-address). */
  prometheusAddress: string | undefined;
  signal?: AbortSignal;
}

export class MetricsFetcher {
  private readonly client: Client;
  private readonly now: () => number;

  constructor(client: Client, now: () => number) {
    this.client = client;
    this.now = now;
  }

  /** Reads every metric of the spec, concurrently; the result is in spec order. */
  readAll(metrics: readonly ReadonlyDeep<MetricSpec>[], ctx: FetchContext): Promise<MetricReading[]> {
    return Promise.all(metrics.map((m) => this.read(m, ctx)));
  }

  async read(metric: ReadonlyDeep<MetricSpec>, ctx: FetchContext): Promise<MetricReading> {
    const reason = FAILURE_REASON[metric.type] ?? 'InvalidMetricSourceType';
    try {
      return await this.readOrThrow(metric, ctx);
    } catch (err) {
      // Only the cause: compute-metrics.ts wraps it in upstream's "failed to get … metric value: …".
      return { ok: false, reason, message: (err as Error).message };
    }
  }

  private async readOrThrow(metric: ReadonlyDeep<MetricSpec>, ctx: FetchContext): Promise<MetricReading> {
    switch (metric.type) {
      case 'Resource':
        return this.resource(metric.resource!.name, undefined, ctx);
      case 'ContainerResource':
        return this.resource(metric.containerResource!.name, metric.containerResource!.container, ctx);
      case 'Pods':
        return this.podsMetric(metric.pods!.metric.name, metric.pods!.metric.selector, ctx);
      case 'Object':
        return this.objectMetric(metric, ctx);
      case 'External':
        return this.externalMetric(metric.external!.metric.name, metric.external!.metric.selector, ctx);
      case 'Prometheus': {
        const source = metric.prometheus!;
        const server = source.serverAddress ?? ctx.prometheusAddress;
        if (!server) throw new Error('no Prometheus server: set prometheus.serverAddress or the operator flag --prometheus-address');
        const sample = await queryPrometheus(server, source.query, ctx.signal);
        return { ok: true, kind: 'values', values: [sample.milliValue], timestampMs: sample.timestampMs };
      }
      default:
        throw new Error(`unknown metric type ${JSON.stringify((metric as { type: string }).type)}`);
    }
  }

  /** metrics.k8s.io PodMetrics: per pod, the sum over its containers (or the one named container). */
  private async resource(resource: string, container: string | undefined, ctx: FetchContext): Promise<MetricReading> {
    const list = await this.get<{ items?: PodMetricsItem[] }>(
      `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ctx.namespace)}/pods`,
      { labelSelector: ctx.podSelector },
      ctx.signal,
    );
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
    const metrics: PodMetrics = new Map();
    // metrics-server gives the pods of one scrape the same timestamp and window: parse each text once.
    const timeOf = parsedOnce((t: string | undefined) => parseTimeOrUndefined(t) ?? this.now());
    const windowOf = parsedOnce((w: string | undefined) => (w ? parseDuration(w) : 0));
    for (const pod of items) {
      let sum = 0;
      let missing = false;
      let found = false;
      for (const c of pod.containers ?? []) {
        if (container !== undefined && c.name !== container) continue;
        const usage = c.usage?.[resource];
        if (usage === undefined) {
          missing = true;
          break;
        }
        found = true;
        sum += parseQuantityMilli(String(usage));
      }
      // Upstream skips a pod with any container lacking the resource, and (ContainerResource) one
      // without the container: such a pod counts as missing metrics, not as zero.
      if (missing || (container !== undefined && !found)) continue;
      metrics.set(pod.metadata.name, {
        timestampMs: timeOf(pod.timestamp),
        windowMs: windowOf(pod.window),
        value: sum,
      });
    }
    if (container !== undefined && metrics.size === 0) {
      throw new Error(`container ${container} not present in metrics of any pod`);
    }
    return { ok: true, kind: 'pods', metrics, timestampMs: earliest(metrics) ?? this.now() };
  }

  /** custom.metrics.k8s.io: a metric of every pod the target selects. */
  private async podsMetric(name: string, metricSelector: MetricSelector, ctx: FetchContext): Promise<MetricReading> {
    const list = await this.get<{ items?: MetricValue[] }>(
      `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${encodeURIComponent(ctx.namespace)}/pods/*/${encodeURIComponent(name)}`,
      { labelSelector: ctx.podSelector, ...metricLabelSelector(metricSelector) },
      ctx.signal,
    );
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from custom metrics API');
    const metrics: PodMetrics = new Map();
    for (const item of items) {
      metrics.set(item.describedObject.name, {
        timestampMs: parseTimeOrUndefined(item.timestamp) ?? this.now(),
        windowMs: item.windowSeconds !== undefined ? item.windowSeconds * 1000 : DEFAULT_WINDOW_MS,
        value: parseQuantityMilli(String(item.value)),
      });
    }
    return { ok: true, kind: 'pods', metrics, timestampMs: earliest(metrics) ?? this.now() };
  }

  /** custom.metrics.k8s.io: one metric of one object in the HPA's namespace. */
  private async objectMetric(metric: ReadonlyDeep<MetricSpec>, ctx: FetchContext): Promise<MetricReading> {
    const { describedObject: ref, metric: id } = metric.object!;
    const info = await this.client.resourceFor(gvkOf(ref.apiVersion ?? 'v1', ref.kind));
    const base = `/apis/custom.metrics.k8s.io/v1beta2`;
    const path =
      info.resource === 'namespaces' && info.gvk.group === ''
        ? `${base}/namespaces/${encodeURIComponent(ref.name)}/metrics/${encodeURIComponent(id.name)}`
        : `${base}/namespaces/${encodeURIComponent(ctx.namespace)}/${groupResource(info.resource, info.gvk.group)}/${encodeURIComponent(ref.name)}/${encodeURIComponent(id.name)}`;
    const list = await this.get<{ items?: MetricValue[] }>(path, metricLabelSelector(id.selector), ctx.signal);
    const item = list.items?.[0];
    if (!item) throw new Error('no metrics returned from custom metrics API');
    return { ok: true, kind: 'object', value: parseQuantityMilli(String(item.value)), timestampMs: parseTimeOrUndefined(item.timestamp) ?? this.now() };
  }

  /** external.metrics.k8s.io: every series of the metric that the selector matches. */
  private async externalMetric(name: string, metricSelector: MetricSelector, ctx: FetchContext): Promise<MetricReading> {
    const list = await this.get<{ items?: { value: string | number; timestamp?: string }[] }>(
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ctx.namespace)}/${encodeURIComponent(name)}`,
      metricSelector ? { labelSelector: selectorToString(metricSelector) } : {},
      ctx.signal,
    );
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from external metrics API');
    const values = items.map((i) => parseQuantityMilli(String(i.value)));
    return { ok: true, kind: 'values', values, timestampMs: parseTimeOrUndefined(items[0]!.timestamp) ?? this.now() };
  }

  private get<T>(path: string, query: Record<string, string>, signal: AbortSignal | undefined): Promise<T> {
    return this.client.rest.json<T>({ method: 'GET', path, query, ...(signal ? { signal } : {}) });
  }
}

type MetricSelector = Parameters<typeof selectorToString>[0] | undefined;

interface PodMetricsItem {
  metadata: { name: string };
  timestamp?: string;
  window?: string;
  containers?: { name: string; usage?: Record<string, string | number> }[];
}

interface MetricValue {
  describedObject: { kind?: string; name: string };
  timestamp?: string;
  windowSeconds?: number;
  value: string | number;
}

function metricLabelSelector(selector: MetricSelector): Record<string, string> {
  return selector ? { metricLabelSelector: selectorToString(selector) } : {};
}

/** custom metrics paths name a resource as `resource.group` (core resources without a group). */
function groupResource(resource: string, group: string): string {
  return group ? `${encodeURIComponent(resource)}.${encodeURIComponent(group)}` : encodeURIComponent(resource);
}

function earliest(metrics: PodMetrics): number | undefined {
  let min: number | undefined;
  for (const m of metrics.values()) if (min === undefined || m.timestampMs < min) min = m.timestampMs;
  return min;
}

/** `parse`, remembering the last text and its value (consecutive items of one response repeat them). */
function parsedOnce<V>(parse: (text: string | undefined) => V): (text: string | undefined) => V {
  let last: { text: string | undefined; value: V } | undefined;
  return (text) => {
    if (!last || last.text !== text) last = { text, value: parse(text) };
    return last.value;
  };
}
