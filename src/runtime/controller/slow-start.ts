// Many writes of one kind, as upstream's slowStartBatch: batches of 1, 2, 4, … run one after another,
// the calls of a batch at once, and the first batch with a failure ends the run. A call that keeps
// failing (a quota, an admission webhook, a missing service account) then costs a few requests instead
// of one per item, while calls that succeed reach full concurrency after a few doublings.

export interface SlowStartOptions {
  /** The first batch's size (upstream: 1). */
  initialBatch?: number;
  /** Which rejections count as failures; others (an AlreadyExists the caller expects) do not stop the run. Default: all. */
  isFailure?: (reason: unknown) => boolean;
}

export interface SlowStartOutcome<I, R> {
  /** Each attempted item with its settled result, in item order. */
  attempted: { item: I; result: PromiseSettledResult<R> }[];
  /** The items never attempted because a batch failed. */
  skipped: I[];
  /** The first failure (a rejection that `isFailure` accepts); absent when there was none. */
  failure?: { reason: unknown };
}

export async function slowStartBatches<I, R>(
  items: readonly I[],
  fn: (item: I) => Promise<R>,
  options: SlowStartOptions = {},
): Promise<SlowStartOutcome<I, R>> {
  const isFailure = options.isFailure ?? (() => true);
  const attempted: SlowStartOutcome<I, R>['attempted'] = [];
  let failure: { reason: unknown } | undefined;
  let next = 0;
  for (let batch = Math.max(1, options.initialBatch ?? 1); next < items.length && !failure; batch *= 2) {
    const slice = items.slice(next, next + batch);
    next += slice.length;
    const results = await Promise.allSettled(slice.map((item) => fn(item)));
    results.forEach((result, i) => {
      attempted.push({ item: slice[i]!, result });
      if (!failure && result.status === 'rejected' && isFailure(result.reason)) failure = { reason: result.reason };
    });
  }
  return { attempted, skipped: items.slice(next), ...(failure ? { failure } : {}) };
}
