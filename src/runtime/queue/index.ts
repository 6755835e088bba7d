// Public API of the work queue package.
export type { QueueMetrics } from './metrics.ts';
export { noopQueueMetrics } from './metrics.ts';
export type { RateLimiter } from './rate-limiter.ts';
export {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.ts';
export type { GetResult, WorkQueueOptions } from './workqueue.ts';
export { UNFINISHED_WORK_UPDATE_PERIOD_MS, WorkQueue } from './workqueue.ts';
