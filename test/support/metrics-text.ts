// An operator's /metrics, read the way tests and benchmarks need it: one number per metric and label.
// Prometheus text exposition: `name{labels} value` or `name value`, one sample per line.

/** GET http://127.0.0.1:<port>/metrics; rejects after `timeoutMs`. */
export async function scrape(port: number, timeoutMs = 5000): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })).text();
}

/**
 * The sum of the samples of `metric` whose labels contain `label` (e.g. `controller="job"`, or ''
 * for all); undefined when there is no such sample.
 */
export function metricSum(text: string, metric: string, label = ''): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) || !line.includes(label)) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
