// Metric type Prometheus: one instant query against a Prometheus server's HTTP API
// (GET /api/v1/query). The query must return exactly one sample (a one-element vector or a scalar):
// anything else is an error whose message names what came back, so ScalingActive=False says why.
const QUERY_TIMEOUT_MS = 10_000;

export interface PrometheusSample {
  /** The sample's value in milli-units, rounded up as Quantity.MilliValue rounds. */
  milliValue: number;
  timestampMs: number;
}

interface QueryResponse {
  status?: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export async function queryPrometheus(server: string, query: string, signal?: AbortSignal): Promise<PrometheusSample> {
  const url = new URL('api/v1/query', server.endsWith('/') ? server : `${server}/`);
  url.searchParams.set('query', query);
  const timeout = AbortSignal.timeout(QUERY_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`Prometheus at ${server} is unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let body: QueryResponse;
  try {
    body = JSON.parse(text) as QueryResponse;
  } catch {
    throw new Error(`Prometheus at ${server} answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success') {
    throw new Error(`query ${JSON.stringify(query)} failed: ${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'no error message'}`);
  }
  return sampleOf(query, body.data);
}

/** The single sample of a query result, or an error saying what the result was instead. */
export function sampleOf(query: string, data: QueryResponse['data']): PrometheusSample {
  let pair: unknown;
  if (data?.resultType === 'scalar') {
    pair = data.result;
  } else if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    if (data.result.length !== 1) {
      throw new Error(`query ${JSON.stringify(query)} returned ${data.result.length} samples; it must return exactly one (aggregate it, e.g. with sum())`);
    }
    pair = (data.result[0] as { value?: unknown }).value;
  } else {
    throw new Error(`query ${JSON.stringify(query)} returned a ${data?.resultType ?? 'missing'} result; it must return one sample (an instant vector of one series, or a scalar)`);
  }
  if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`query ${JSON.stringify(query)} returned a malformed sample`);
  const value = Number(pair[1]);
  if (!Number.isFinite(value)) throw new Error(`query ${JSON.stringify(query)} returned ${String(pair[1])}, not a finite number`);
  // Away from zero, as Quantity.MilliValue rounds; the epsilon keeps 1.1 × 1000 = 1100.0000000000002 at 1100.
  const milli = value * 1000;
  const rounded = milli >= 0 ? Math.ceil(milli - 1e-9) : Math.floor(milli + 1e-9);
  return { milliValue: rounded === 0 ? 0 : rounded, timestampMs: Math.round(Number(pair[0]) * 1000) };
}
