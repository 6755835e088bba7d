// Minimal HTTP(S) requests for talking to the components while they start (no dependency on the runtime).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip server certificate verification (component health ports with self-signed certificates). */
  insecure?: boolean;
}

export interface HttpResponse {
  status: number;
  body: string;
}

export function httpCall(
  url: string,
  opts: { method?: string; body?: unknown; tls?: TlsMaterial; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const common = { method: opts.method ?? 'GET', headers, timeout: opts.timeoutMs ?? 5000 };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(
            u,
            {
              ...common,
              ca: opts.tls?.ca,
              cert: opts.tls?.cert,
              key: opts.tls?.key,
              rejectUnauthorized: !opts.tls?.insecure,
              agent: false,
            },
            onResponse,
          )
        : httpRequest(u, { ...common, agent: false }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timeout after ${common.timeout} ms: ${common.method} ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A component's health endpoint on 127.0.0.1 answers 200 (self-signed serving certificates: not verified). */
export async function healthy(port: number, path: string): Promise<boolean> {
  const res = await httpCall(`https://127.0.0.1:${port}${path}`, { tls: { insecure: true }, timeoutMs: 2000 });
  return res.status === 200;
}
