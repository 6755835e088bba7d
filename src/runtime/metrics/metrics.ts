// Metrics with controller-runtime's names, labels and buckets, so dashboards and alerts written for
// Go operators work unchanged. One RuntimeMetrics per manager (each with its own registry), which keeps
// two managers in one process (tests, leader hand-over) apart.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueMetrics } from '../queue/metrics.ts';

// controller-runtime's reconcile_time_seconds buckets.
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5,
  1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
// client-go workqueue buckets: 10ns … 10s, ×10.
const queueBuckets = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);
const requestBuckets = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export class RuntimeMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly restRequests: Counter<'code' | 'method' | 'host'>;
  readonly restLatency: Histogram<'verb' | 'host'>;
  readonly restRateLimiterLatency: Histogram<'verb' | 'host'>;
  readonly leaderStatus: Gauge<'name'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly eventsDropped: Counter<'reason'>;
  private readonly queueDepth: Gauge<'name' | 'controller'>;
  private readonly queueAdds: Counter<'name' | 'controller'>;
  private readonly queueLatency: Histogram<'name' | 'controller'>;
  private readonly queueWork: Histogram<'name' | 'controller'>;
  private readonly queueUnfinished: Gauge<'name' | 'controller'>;
  private readonly queueLongest: Gauge<'name' | 'controller'>;
  private readonly queueRetries: Counter<'name' | 'controller'>;

  constructor(options: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: reconcileBuckets,
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    this.restRequests = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests, partitioned by status code, method, and host.',
      labelNames: ['code', 'method', 'host'],
      registers,
    });
    this.restLatency = new Histogram({
      name: 'rest_client_request_duration_seconds',
      help: 'Request latency in seconds. Broken down by verb and host.',
      labelNames: ['verb', 'host'],
      buckets: requestBuckets,
      registers,
    });
    this.restRateLimiterLatency = new Histogram({
      name: 'rest_client_rate_limiter_duration_seconds',
      help: 'Client side rate limiter latency in seconds. Broken down by verb and host.',
      labelNames: ['verb', 'host'],
      buckets: requestBuckets,
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
      labelNames: ['name'],
      registers,
    });
    this.watchRestarts = new Counter({
      name: 'tentacle_watch_restarts_total',
      help: 'Watch streams restarted, by resource and reason (closed, error, gone, stalled).',
      labelNames: ['resource', 'reason'],
      registers,
    });
    this.eventsDropped = new Counter({
      name: 'tentacle_events_dropped_total',
      help: 'Events not written, by reason (spam_filter: the object spent its budget; queue_full).',
      labelNames: ['reason'],
      registers,
    });
    const queueLabels = ['name', 'controller'] as const;
    this.queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: queueLabels, registers });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: queueLabels,
      buckets: queueBuckets,
      registers,
    });
    this.queueWork = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: queueLabels,
      buckets: queueBuckets,
      registers,
    });
    this.queueUnfinished = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. ' +
        'Large values indicate stuck threads.',
      labelNames: queueLabels,
      registers,
    });
    this.queueLongest = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: queueLabels,
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: queueLabels,
      registers,
    });
  }

  /** The metrics of the work queue of controller `name`. */
  queue(name: string): QueueMetrics {
    const labels = { name, controller: name };
    // Zero-initialise so every controller's series exist before the first event.
    this.queueDepth.set(labels, 0);
    this.queueAdds.inc(labels, 0);
    this.queueRetries.inc(labels, 0);
    return {
      add: () => this.queueAdds.inc(labels),
      depth: (depth) => this.queueDepth.set(labels, depth),
      queueLatency: (s) => this.queueLatency.observe(labels, s),
      workDuration: (s) => this.queueWork.observe(labels, s),
      retry: () => this.queueRetries.inc(labels),
      unfinished: (total, longest) => {
        this.queueUnfinished.set(labels, total);
        this.queueLongest.set(labels, longest);
      },
    };
  }
}
