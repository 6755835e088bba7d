// The fuzz run: N generated objects per Tentacle kind (arbitrary.ts, from each CRD's schema) sent to a
// private control plane where the operator runs. Each must be rejected at admission with a message a
// person can act on (4xx, naming what is wrong), or accepted and handled: reconciled without a crash,
// an unhandled rejection or an error loop. A ResourceQuota bounds what accepted objects may create
// (a Job asking for 2^31 pods gets a quota error, which is the controller's to report and retry).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { load } from 'js-yaml';
import { startControlPlane } from '../../src/testing/index.ts';
import { ApiError } from '../../src/runtime/client/errors.ts';
import type { KubeObject } from '../../src/runtime/types.ts';
import { pool } from '../../bench/support.ts';
import { runOperator } from '../support/operator.ts';
import { testClient } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { specs, type Schema } from './arbitrary.ts';
import { KINDS, type FuzzKind } from './kinds.ts';
import { metricSum, scrape } from '../support/metrics-text.ts';

export const NAMESPACE = 'fuzz';

export interface KindReport {
  kind: string;
  sent: number;
  rejected: number;
  accepted: number;
  /** Accepted objects with at least one status condition. */
  withConditions: number;
  /** Accepted objects with a Warning event about them. */
  warned: number;
  /** Rejections whose message a person could not act on (5xx, empty, or not naming a field). */
  unclear: string[];
  /** A few rejection messages, for the docs. */
  examples: string[];
}

export interface FuzzReport {
  seed: number;
  kinds: KindReport[];
  operatorRestarts: number;
  unhandledRejections: number;
  /** Reconcile errors in the last `windowMs` of the run, against the number of accepted objects. */
  errorsInWindow: number;
  /** The object with the most failed reconciles in the window, from the operator's log. */
  busiestKey: { key: string; errors: number } | undefined;
  /** The most failed reconciles one object can have in the window if its retries back off. */
  retryBound: number;
  /** The same, by controller (of the fuzzed kinds). */
  errorsByController: Record<string, number>;
  windowMs: number;
  /** Reconcile errors over the whole run. */
  errors: number;
}

export interface FuzzOptions {
  perKind: number;
  seed: number;
  /** How long reconcile errors are counted at the end (ms). */
  windowMs: number;
  /** Where the accepted objects are written if the operator dies, to reproduce it. */
  acceptedFile?: string;
  /** Where to write the operator's log at the end (for a closer look). */
  operatorLog?: string;
  /** Only these kinds (default: all). */
  kinds?: string[];
  log: (line: string) => void;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const kinds = KINDS.filter((k) => !options.kinds || options.kinds.includes(k.kind));
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-fuzz-'));
  const exportsDir = join(dir, 'exports');
  const cp = await startControlPlane({ dir, metricsServer: false, log: () => {} });
  let operator: Awaited<ReturnType<typeof runOperator>> | undefined;
  let stopping = false;
  const client = await testClient({ kubeconfig: cp.kubeconfigPath, qps: 200, burst: 400 });
  try {
    execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'apply', '--server-side', '-f', 'crds/'], { stdio: 'ignore' });
    execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/'], { stdio: 'ignore' });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await client.create({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'fuzz', namespace: NAMESPACE },
      spec: { hard: { pods: '60', persistentvolumeclaims: '20' } },
    });
    // Until the quota controller has counted usage, the API server refuses whatever the quota covers.
    await waitFor(async () => (await client.get<KubeObject & { status?: { used?: object } }>(RESOURCE_QUOTA, NAMESPACE, 'fuzz')).status?.used, {
      what: 'the fuzz ResourceQuota counted',
      timeoutMs: 60_000,
    });
    operator = await runOperator([`--nfs-local-exports=${exportsDir}`, `--kube-api-qps=${OPERATOR_QPS}`, `--kube-api-burst=${2 * OPERATOR_QPS}`], { kubeconfig: cp.kubeconfigPath });
    const op = operator;
    void op.exited.then((code) => {
      if (!stopping) writeFileSync(options.acceptedFile ?? '/dev/null', acceptedObjects.join('\n'));
      if (!stopping) options.log(`the operator exited (${code ?? op.child.signalCode}) during the run${options.acceptedFile ? `; the objects accepted so far are in ${options.acceptedFile}` : ''}:\n${op.output().slice(-4000)}`);
    });

    const reports: KindReport[] = [];
    const accepted = new Map<string, number>();
    const acceptedObjects: string[] = [];
    for (const kind of kinds) {
      const schema = specSchemaOf(kind.crd);
      const generated = fc.sample(specs(kind.base, schema), { numRuns: options.perKind, seed: options.seed });
      const report: KindReport = { kind: kind.kind, sent: 0, rejected: 0, accepted: 0, withConditions: 0, warned: 0, unclear: [], examples: [] };
      await pool(0, generated.length, 10, async (i) => {
        report.sent++;
        try {
          await client.create(objectOf(kind, i, generated[i]));
          report.accepted++;
          acceptedObjects.push(JSON.stringify(objectOf(kind, i, generated[i])));
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          report.rejected++;
          if (!understandable(err)) report.unclear.push(`${err.code}: ${err.message.slice(0, 300)}`);
          else if (report.examples.length < 3 && !report.examples.includes(err.message)) report.examples.push(err.message.slice(0, 200));
        }
      });
      accepted.set(kind.controller, (accepted.get(kind.controller) ?? 0) + report.accepted);
      options.log(`${kind.kind}: ${report.accepted} accepted, ${report.rejected} rejected`);
      reports.push(report);
    }

    // Proof that every accepted object was reconciled (each key at least once), before judging.
    await waitFor(
      async () => {
        if (op.child.exitCode !== null || op.child.signalCode !== null) throw new Error('the operator is not running');
        const text = await scrape(op.metricsPort);
        return [...accepted].every(([controller, n]) => (metricSum(text, 'controller_runtime_reconcile_total', `controller="${controller}"`) ?? 0) >= n);
      },
      { what: 'every accepted object reconciled', timeoutMs: 600_000, intervalMs: 1000 },
    );
    // Retries must back off: over a window at the end, count each object's failed reconciles.
    const windowStart = Date.now();
    const before = await scrape(op.metricsPort);
    const errorsBefore = metricSum(before, 'controller_runtime_reconcile_errors_total') ?? 0;
    await new Promise((resolve) => setTimeout(resolve, options.windowMs));
    const after = await scrape(op.metricsPort);
    const windowEnd = Date.now();
    const errors = metricSum(after, 'controller_runtime_reconcile_errors_total') ?? 0;
    const errorsByController: Record<string, number> = {};
    for (const kind of kinds) {
      const label = `controller="${kind.controller}"`;
      errorsByController[kind.controller] = (metricSum(after, 'controller_runtime_reconcile_errors_total', label) ?? 0) - (metricSum(before, 'controller_runtime_reconcile_errors_total', label) ?? 0);
    }

    for (const [i, kind] of kinds.entries()) {
      const objects = (await client.listAll<KubeObject & { status?: { conditions?: unknown[] } }>(kind.gvk, kind.namespaced ? { namespace: NAMESPACE } : {})).items.filter((o) => o.metadata.name!.startsWith(kind.prefix));
      const events = (await client.listAll<{ type?: string; regarding?: { kind?: string; name?: string } } & KubeObject>(EVENTS, {})).items;
      const warned = new Set(events.filter((e) => e.type === 'Warning' && e.regarding?.kind === kind.kind).map((e) => e.regarding!.name));
      reports[i]!.withConditions = objects.filter((o) => o.status?.conditions?.length).length;
      reports[i]!.warned = objects.filter((o) => warned.has(o.metadata.name)).length;
    }

    const exitCode = op.child.exitCode;
    const output = op.output();
    if (options.operatorLog) writeFileSync(options.operatorLog, op.stdout());
    const perKey = failuresPerKey(op.stdout(), windowStart, windowEnd);
    const busiest = [...perKey].sort((a, b) => b[1] - a[1])[0];
    return {
      seed: options.seed,
      kinds: reports,
      operatorRestarts: exitCode === null && op.child.signalCode === null ? 0 : 1,
      unhandledRejections: output.split('\n').filter((l) => l.includes('unhandled promise rejection')).length,
      errorsInWindow: errors - errorsBefore,
      errorsByController,
      busiestKey: busiest ? { key: busiest[0], errors: busiest[1] } : undefined,
      retryBound: retryBound(options.windowMs),
      windowMs: options.windowMs,
      errors,
    };
  } finally {
    stopping = true;
    await operator?.stop();
    await client.close();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The operator's client rate limit in this run (requests per second). */
export const OPERATOR_QPS = 50;

/**
 * The most failed reconciles one object may have in a window of W ms. An object retried without
 * backoff fails as fast as the client allows: up to OPERATOR_QPS × W / 1000 times (1,000 in 20 s).
 * With backoff (5 ms, doubling) it fails ⌊log2(W / 5 + 1)⌋ + 1 times (12 in 20 s) plus once per watch
 * event about it; a StatefulSet whose 24 pods start while its next pod is refused by the quota had
 * 38 in 20 s. The bound is a tenth of the loop's rate: 100 in 20 s.
 */
export function retryBound(windowMs: number): number {
  return Math.floor((OPERATOR_QPS * windowMs) / 1000 / 10);
}

/** Failed reconciles per controller/namespace/name between two instants, from the JSON log. */
export function failuresPerKey(log: string, from: number, to: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split('\n')) {
    if (!line.includes('reconcile failed')) continue;
    const entry = JSON.parse(line) as { time: string; controller?: string; namespace?: string; name?: string };
    const at = Date.parse(entry.time);
    if (at < from || at > to) continue;
    const key = `${entry.controller}:${entry.namespace ?? ''}/${entry.name}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const RESOURCE_QUOTA = { group: '', version: 'v1', kind: 'ResourceQuota' };
const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };

function objectOf(kind: FuzzKind, i: number, spec: unknown): KubeObject {
  return {
    apiVersion: `${kind.gvk.group}/${kind.gvk.version}`,
    kind: kind.kind,
    metadata: { name: `${kind.prefix}${i}`, ...(kind.namespaced ? { namespace: NAMESPACE } : {}) },
    spec,
  };
}

/** A rejection a person can act on: a client error whose message says which field and why. */
export function understandable(err: ApiError): boolean {
  return err.code >= 400 && err.code < 500 && /spec|metadata|Invalid|Required|Unsupported|must|may not|exceed/i.test(err.message) && !/internal error/i.test(err.message);
}

function specSchemaOf(crdFile: string): Schema {
  const crd = load(readFileSync(crdFile, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
}

