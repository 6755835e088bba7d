// What a work queue reports about itself. Implemented over prom-client in runtime/metrics; the queue
// depends only on this interface so it stays usable (and testable) without a registry.

export interface QueueMetrics {
  /** An item was added (an add merged into one already waiting does not count, as in client-go). */
  add(): void;
  /** The number of items waiting changed to `depth`. */
  depth(depth: number): void;
  /** An item waited `seconds` between add and get. */
  queueLatency(seconds: number): void;
  /** An item was processed for `seconds` (get → done). */
  workDuration(seconds: number): void;
  /** An item was re-added through the rate limiter. */
  retry(): void;
  /** Seconds of work in progress that has not finished, and the longest-running item's seconds. */
  unfinished(totalSeconds: number, longestSeconds: number): void;
}

export const noopQueueMetrics: QueueMetrics = {
  add: () => {},
  depth: () => {},
  queueLatency: () => {},
  workDuration: () => {},
  retry: () => {},
  unfinished: () => {},
};
