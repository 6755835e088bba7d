// Test support for code that uses the runtime against the shared test control plane.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Client } from '../../src/runtime/client/client.ts';
import { connectWith } from '../../src/runtime/client/connection.ts';
import { loadKubeconfig } from '../../src/runtime/client/kubeconfig.ts';
import { RestClient } from '../../src/runtime/client/rest.ts';
import type { Logger } from '../../src/runtime/log.ts';
import type { RuntimeMetrics } from '../../src/runtime/metrics/metrics.ts';
import { kubeconfigPath } from './kube.ts';

export { kubeconfigPath };

export const NAMESPACE = { group: '', version: 'v1', kind: 'Namespace' };
export const CONFIGMAP = { group: '', version: 'v1', kind: 'ConfigMap' };
export const SECRET = { group: '', version: 'v1', kind: 'Secret' };

/** A client for a control plane; `server` overrides the address (e.g. a proxy in front of it). */
export async function testClient(
  options: { kubeconfig?: string; server?: string; metrics?: RuntimeMetrics; qps?: number; burst?: number } = {},
): Promise<Client> {
  const loaded = loadKubeconfig({ kubeconfig: options.kubeconfig ?? kubeconfigPath() });
  const kc = options.server ? { ...loaded, cluster: { ...loaded.cluster, server: options.server } } : loaded;
  const connection = await connectWith(kc);
  return new Client(
    new RestClient(connection, {
      qps: options.qps ?? 100,
      burst: options.burst ?? 200,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
  );
}

/**
 * Creates a namespace unique to the calling test file. Delete it in the suite's `after` hook with
 * `deleteNamespace` (an `after` registered from inside `before` would run as soon as `before` ends).
 */
export async function testNamespace(client: Client, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Deletes a test namespace and, through the namespace controller, everything in it. */
export async function deleteNamespace(client: Client, name: string | undefined): Promise<void> {
  if (name) await client.delete(NAMESPACE, '', name);
}

/**
 * A logger that keeps what it logs (JSON lines, as the operator writes them), for tests that read a
 * component's log as evidence (e.g. test/support/reconciles.ts).
 */
export function captureLogger(level = 'debug'): { logger: Logger; text(): string } {
  let text = '';
  const logger = pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } },
    { write: (line: string) => void (text += line) },
  );
  return { logger, text: () => text };
}
