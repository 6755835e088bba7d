// A custom and external metrics API server that the test feeds: HTTPS on 127.0.0.1 with a self-signed
// certificate, registered with the shared control plane's aggregator as
//   v1beta2.custom.metrics.k8s.io    MetricValueList: pods by selector, single objects, namespaces
//   v1beta1.external.metrics.k8s.io  ExternalMetricValueList: by metric name and label selector
// (ExternalName Service 127.0.0.1 in kube-system, APIServices with insecureSkipTLSVerify), with the
// discovery documents the aggregator and clients read. Response shapes are those of
// k8s.io/metrics/pkg/apis/{custom_metrics/v1beta2,external_metrics/v1beta1}.
//
// One backend per APIService exists in a cluster, and every test file shares the control plane:
//   - within a process (a test file), startMetricsAdapter() hands out the same server (reference
//     counted; the last close() unregisters and stops it); keep your data in your own namespace;
//   - across processes (test files running in parallel), the adapter is taken under a Lease
//     (kube-system/tentacle-test-metrics-adapter): a second file's startMetricsAdapter() waits until
//     the first one's close() (or takes over when the holder's PID is dead).
// So close() it in an afterAll() hook, as early as possible.
//
//   const adapter = await startMetricsAdapter();
//   adapter.setPodMetric(ns, 'web-0', 'http_requests', '500m');         // pods/*/http_requests, pods/web-0/http_requests
//   adapter.setObjectMetric(ns, { resource: 'services', name: 'web' }, 'rps', 30);
//   adapter.setExternalMetric(ns, 'queue_depth', { queue: 'orders' }, 42);
//   ... GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/<ns>/pods/*/http_requests?labelSelector=app%3Dweb
//   await adapter.close();
//
// Pods by selector ('pods/*'): the adapter lists the namespace's pods matching labelSelector from the
// API server (as real adapters do) and returns the pods among them that have a value. Other resources
// with '*' match the labels given to setObjectMetric. A metric never set in the namespace is a 404
// NotFound Status, like the real adapters. The aggregator's requests are not authenticated (loopback only).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { kubeRequest } from './kube.ts';
import { apiServiceAvailable, registerAggregatedApi } from '../../src/testing/control-plane/aggregation.ts';
import { matchesSelector, parseSelector } from '../../src/runtime/util/selectors.ts';

export const CUSTOM_GROUP = 'custom.metrics.k8s.io';
export const CUSTOM_VERSION = 'v1beta2';
export const EXTERNAL_GROUP = 'external.metrics.k8s.io';
export const EXTERNAL_VERSION = 'v1beta1';
export const ADAPTER_APISERVICES = [`${CUSTOM_VERSION}.${CUSTOM_GROUP}`, `${EXTERNAL_VERSION}.${EXTERNAL_GROUP}`];
const NAME = 'tentacle-test-metrics-adapter';
const NAMESPACE = 'kube-system';

export type Labels = Record<string, string>;
/** A Kubernetes quantity ('500m', '2', '1.5k') or a number (written as an integer or in milli-units). */
export type MetricQuantity = string | number;

export interface ObjectRef {
  /** Plural resource, optionally with its group: 'services', 'deployments.apps', 'statefulsets.apps.tentacle.dev'. */
  resource: string;
  name: string;
  /** describedObject.kind; default from a table of common resources, else derived from the resource. */
  kind?: string;
  /** describedObject.apiVersion; default from the same table, else '<group>/v1'. */
  apiVersion?: string;
}

export interface MetricsAdapter {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** A custom metric of a pod (served for pods/<name>/<metric> and by selector, pods/*\/<metric>). */
  setPodMetric(namespace: string, pod: string, metric: string, value: MetricQuantity, opts?: { labels?: Labels }): void;
  /** A custom metric of any object; namespace '' for cluster-scoped objects (e.g. nodes). */
  setObjectMetric(namespace: string, object: ObjectRef, metric: string, value: MetricQuantity, opts?: { labels?: Labels }): void;
  /** One series of an external metric; `labels` are its metricLabels, matched by labelSelector. */
  setExternalMetric(namespace: string, metric: string, labels: Labels, value: MetricQuantity): void;
  /** Forgets `metric` (custom and external) in the namespace: it becomes a 404 again. */
  deleteMetric(namespace: string, metric: string): void;
  /** Forgets every value of the namespace. */
  clear(namespace: string): void;
  /** Paths (with query) the adapter answered, oldest first: what the aggregator and clients asked. */
  requests(): string[];
  /** Releases this handle; the last one unregisters the APIServices, stops the server and frees the Lease. */
  close(): Promise<void>;
}

interface CustomEntry {
  resource: string;
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  value: string;
  labels: Labels;
}

const KINDS: Record<string, [kind: string, apiVersion: string]> = {
  pods: ['Pod', 'v1'],
  services: ['Service', 'v1'],
  namespaces: ['Namespace', 'v1'],
  nodes: ['Node', 'v1'],
  persistentvolumeclaims: ['PersistentVolumeClaim', 'v1'],
  deployments: ['Deployment', 'apps/v1'],
  replicasets: ['ReplicaSet', 'apps/v1'],
  statefulsets: ['StatefulSet', 'apps/v1'],
  daemonsets: ['DaemonSet', 'apps/v1'],
  jobs: ['Job', 'batch/v1'],
  ingresses: ['Ingress', 'networking.k8s.io/v1'],
};

const baseResource = (r: string) => r.toLowerCase().split('.')[0]!;
/** 'deployments' matches 'deployments.apps' (clients may qualify the resource with its group, or not). */
function sameResource(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x === y || ((!x.includes('.') || !y.includes('.')) && baseResource(x) === baseResource(y));
}

function describeObject(ref: ObjectRef): [kind: string, apiVersion: string] {
  const base = baseResource(ref.resource);
  const group = ref.resource.includes('.') ? ref.resource.slice(ref.resource.indexOf('.') + 1) : '';
  const known = KINDS[base];
  const knownGroup = known?.[1].includes('/') ? known[1].split('/')[0] : '';
  const fits = known && (!group || group === knownGroup);
  const guess = base.endsWith('ses') ? base.slice(0, -2) : base.endsWith('s') ? base.slice(0, -1) : base;
  const kind = ref.kind ?? (fits ? known[0] : guess.charAt(0).toUpperCase() + guess.slice(1));
  const apiVersion = ref.apiVersion ?? (fits ? known[1] : group ? `${group}/v1` : 'v1');
  return [kind, apiVersion];
}

function quantity(v: MetricQuantity): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) throw new Error(`metric value must be finite, got ${v}`);
  return Number.isInteger(v) ? String(v) : `${Math.round(v * 1000)}m`;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const labelKey = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

// --- label selectors: the project's labels.Parse (src/runtime/util/selectors.ts) ---

/** Whether labels match a selector in string form; an empty or missing selector matches everything. */
function matchesText(labels: Labels, selector: string | undefined): boolean {
  return matchesSelector(parseSelector(selector ?? ''), labels);
}

// --- the server ---

class AdapterServer {
  readonly custom = new Map<string, Map<string, CustomEntry[]>>(); // namespace → metric → entries
  readonly external = new Map<string, Map<string, Map<string, { labels: Labels; value: string }>>>();
  readonly log: string[] = [];
  server!: Server;
  port = 0;
  dir = '';

  async listen(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'tentacle-metrics-adapter-'));
    await promisify(execFile)(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '2', '-subj', `/CN=${NAME}`,
        '-addext', `subjectAltName=DNS:${NAME}.${NAMESPACE}.svc,DNS:localhost,IP:127.0.0.1`,
      ],
      { cwd: this.dir },
    );
    this.server = createServer(
      { key: readFileSync(join(this.dir, 'tls.key')), cert: readFileSync(join(this.dir, 'tls.crt')) },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          this.status(res, 500, 'InternalError', err instanceof Error ? err.message : String(err));
        });
      },
    );
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    rmSync(this.dir, { recursive: true, force: true });
  }

  json(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  status(res: ServerResponse, code: number, reason: string, message: string, details?: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    this.json(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    });
  }

  discoveryGroup(group: string, version: string) {
    return { name: group, versions: [{ groupVersion: `${group}/${version}`, version }], preferredVersion: { groupVersion: `${group}/${version}`, version } };
  }

  /** APIResourceList as the upstream custom-metrics-apiserver lists it: '<resource>/<metric>' per known metric. */
  resourceList(group: string, version: string): unknown {
    const resources: unknown[] = [];
    const seen = new Set<string>();
    const add = (name: string, namespaced: boolean, kind: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      resources.push({ name, singularName: '', namespaced, kind, verbs: ['get'] });
    };
    if (group === CUSTOM_GROUP) {
      for (const metrics of this.custom.values()) {
        for (const [metric, entries] of metrics) {
          for (const e of entries) add(`${e.resource}/${metric}`, e.namespace !== '' || e.resource === 'namespaces', 'MetricValueList');
        }
      }
    } else {
      for (const metrics of this.external.values()) for (const metric of metrics.keys()) add(metric, true, 'ExternalMetricValueList');
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://adapter');
    this.log.push(url.pathname + url.search);
    if (this.log.length > 10_000) this.log.splice(0, 5000);
    if (req.method !== 'GET') return this.status(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (['/healthz', '/readyz', '/livez'].includes(path)) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const groups = [this.discoveryGroup(CUSTOM_GROUP, CUSTOM_VERSION), this.discoveryGroup(EXTERNAL_GROUP, EXTERNAL_VERSION)];
    if (path === '/apis') return this.json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    for (const g of groups) {
      if (path === `/apis/${g.name}`) return this.json(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
      const prefix = `/apis/${g.name}/${g.preferredVersion.version}`;
      if (path === prefix) return this.json(res, 200, this.resourceList(g.name, g.preferredVersion.version));
      if (path.startsWith(prefix + '/')) {
        const segs = path.slice(prefix.length + 1).split('/').map(decodeURIComponent);
        const labelSelector = url.searchParams.get('labelSelector') ?? '';
        const metricSelector = url.searchParams.get('metricLabelSelector') ?? '';
        try {
          parseSelector(labelSelector);
          parseSelector(metricSelector);
        } catch (err) {
          return this.status(res, 400, 'BadRequest', (err as Error).message);
        }
        if (g.name === CUSTOM_GROUP) return this.customMetrics(res, segs, labelSelector, metricSelector);
        return this.externalMetrics(res, segs, labelSelector);
      }
    }
    this.status(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
  }

  async customMetrics(res: ServerResponse, segs: string[], labelSelector: string, metricSelector: string): Promise<void> {
    // namespaces/{ns}/metrics/{metric}: the namespace object itself
    // namespaces/{ns}/{resource}/{name|*}/{metric}; {resource}/{name|*}/{metric} (cluster-scoped)
    let namespace = '';
    let resource: string;
    let name: string;
    let metric: string;
    if (segs[0] === 'namespaces' && segs.length === 4 && segs[2] === 'metrics') {
      [resource, name, metric] = ['namespaces', segs[1]!, segs[3]!];
    } else if (segs[0] === 'namespaces' && segs.length === 5) {
      [namespace, resource, name, metric] = [segs[1]!, segs[2]!, segs[3]!, segs[4]!];
    } else if (segs.length === 3) {
      [resource, name, metric] = [segs[0]!, segs[1]!, segs[2]!];
    } else {
      return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${segs.join('/')})`);
    }
    const notFound = () =>
      this.status(res, 404, 'NotFound', `the server could not find the metric ${metric} for ${resource}`, {
        name: metric,
        group: CUSTOM_GROUP,
        kind: resource,
      });
    // The namespace object's metrics live with the namespace's data.
    const dataNs = resource === 'namespaces' && !namespace ? name : namespace;
    const entries = (this.custom.get(dataNs)?.get(metric) ?? []).filter(
      (e) => sameResource(e.resource, resource) && e.namespace === (resource === 'namespaces' ? '' : namespace),
    );
    if (!entries.length) return notFound();
    let chosen: CustomEntry[];
    if (name !== '*') {
      chosen = entries.filter((e) => e.name === name);
      if (!chosen.length) return notFound();
    } else if (baseResource(resource) === 'pods') {
      // As real adapters: the pods the selector matches now, from the API server.
      const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      const list = await kubeRequest('GET', `/api/v1/namespaces/${namespace}/pods${q}`);
      if (list.status !== 200) throw new Error(`listing pods: ${list.status} ${list.text}`);
      const pods = new Set(((list.body.items ?? []) as any[]).map((p) => p.metadata.name as string));
      chosen = entries.filter((e) => pods.has(e.name));
    } else {
      chosen = entries.filter((e) => matchesText(e.labels, labelSelector));
    }
    chosen = chosen.filter((e) => matchesText(e.labels, metricSelector));
    const timestamp = now();
    this.json(res, 200, {
      kind: 'MetricValueList',
      apiVersion: `${CUSTOM_GROUP}/${CUSTOM_VERSION}`,
      metadata: {},
      items: chosen.map((e) => ({
        describedObject: { kind: e.kind, ...(e.namespace ? { namespace: e.namespace } : {}), name: e.name, apiVersion: e.apiVersion },
        metric: { name: metric, selector: metricSelector ? parseSelector(metricSelector) : null },
        timestamp,
        value: e.value,
      })),
    });
  }

  externalMetrics(res: ServerResponse, segs: string[], labelSelector: string): void {
    if (segs[0] !== 'namespaces' || segs.length !== 3) {
      return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${segs.join('/')})`);
    }
    const [, namespace, metric] = segs as [string, string, string];
    const series = this.external.get(namespace)?.get(metric);
    if (!series?.size) {
      return this.status(res, 404, 'NotFound', `the server could not find the external metric ${metric}`, {
        name: metric,
        group: EXTERNAL_GROUP,
        kind: metric,
      });
    }
    const timestamp = now();
    this.json(res, 200, {
      kind: 'ExternalMetricValueList',
      apiVersion: `${EXTERNAL_GROUP}/${EXTERNAL_VERSION}`,
      metadata: {},
      items: [...series.values()]
        .filter((s) => matchesText(s.labels, labelSelector))
        .map((s) => ({ metricName: metric, metricLabels: { ...s.labels }, timestamp, value: s.value })),
    });
  }

  setCustom(namespace: string, ref: ObjectRef, metric: string, value: MetricQuantity, labels: Labels): void {
    const [kind, apiVersion] = describeObject(ref);
    const dataNs = baseResource(ref.resource) === 'namespaces' ? ref.name : namespace;
    const objNs = baseResource(ref.resource) === 'namespaces' ? '' : namespace;
    const byMetric = this.custom.get(dataNs) ?? new Map<string, CustomEntry[]>();
    this.custom.set(dataNs, byMetric);
    const entries = (byMetric.get(metric) ?? []).filter((e) => !(sameResource(e.resource, ref.resource) && e.name === ref.name));
    entries.push({ resource: ref.resource, kind, apiVersion, name: ref.name, namespace: objNs, value: quantity(value), labels: { ...labels } });
    byMetric.set(metric, entries);
  }

  setExternal(namespace: string, metric: string, labels: Labels, value: MetricQuantity): void {
    const byMetric = this.external.get(namespace) ?? new Map<string, Map<string, { labels: Labels; value: string }>>();
    this.external.set(namespace, byMetric);
    const series = byMetric.get(metric) ?? new Map<string, { labels: Labels; value: string }>();
    byMetric.set(metric, series);
    series.set(labelKey(labels), { labels: { ...labels }, value: quantity(value) });
  }
}

// --- registration, under a Lease shared by every process using the control plane ---

const holderIdentity = () => `${hostname()}/${process.pid}`;

function holderDead(identity: string | undefined): boolean {
  if (!identity) return true;
  const [host, pid] = identity.split('/');
  if (host !== hostname()) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function acquireLease(timeoutMs: number): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
  const deadline = Date.now() + timeoutMs;
  let holder: string | undefined;
  for (;;) {
    const res = await kubeRequest('POST', path, {
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: NAME, namespace: NAMESPACE },
        spec: { holderIdentity: holderIdentity(), acquireTime: new Date().toISOString().replace('Z', '000Z') },
      },
    });
    if (res.status === 201) return;
    if (res.status !== 409) throw new Error(`creating Lease ${NAME}: ${res.status} ${res.text}`);
    const current = await kubeRequest('GET', `${path}/${NAME}`);
    if (current.status === 200) {
      holder = current.body.spec?.holderIdentity;
      if (holderDead(holder)) {
        // A test process that died without close(): take over.
        await kubeRequest('DELETE', `${path}/${NAME}`, {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: current.body.metadata.uid } },
        });
        continue;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`the metrics adapter is still held by ${holder} after ${timeoutMs} ms (Lease ${NAMESPACE}/${NAME})`);
    }
    await sleep(500);
  }
}

async function releaseLease(): Promise<void> {
  await kubeRequest('DELETE', `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${NAME}`);
}

async function register(port: number): Promise<void> {
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await kubeRequest(method, path, { body });
    return { status: res.status, json: res.body };
  };
  await registerAggregatedApi(api, {
    service: { namespace: NAMESPACE, name: NAME },
    port,
    apiServices: [
      { group: CUSTOM_GROUP, version: CUSTOM_VERSION },
      { group: EXTERNAL_GROUP, version: EXTERNAL_VERSION },
    ],
    managedBy: NAME,
  });
  const deadline = Date.now() + 60_000;
  for (const name of ADAPTER_APISERVICES) {
    for (;;) {
      const res = await kubeRequest('GET', `/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
      const available = apiServiceAvailable(res.body);
      if (available.ok) break;
      if (Date.now() > deadline) throw new Error(`APIService ${name} not Available: ${available.message}`);
      await sleep(200);
    }
  }
}

async function unregister(): Promise<void> {
  for (const name of ADAPTER_APISERVICES) {
    await kubeRequest('DELETE', `/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
  }
  await kubeRequest('DELETE', `/api/v1/namespaces/${NAMESPACE}/services/${NAME}`);
}

let shared: { server: AdapterServer; refs: number } | undefined;
let starting: Promise<AdapterServer> | undefined;

async function start(timeoutMs: number): Promise<AdapterServer> {
  await acquireLease(timeoutMs);
  const server = new AdapterServer();
  try {
    await server.listen();
    await register(server.port);
    return server;
  } catch (err) {
    await unregister().catch(() => {});
    if (server.port) await server.close().catch(() => {});
    await releaseLease().catch(() => {});
    throw err;
  }
}

/**
 * The adapter, registered and Available. Waits (up to `waitMs`, default 5 min) while a test file in
 * another process holds it.
 */
export async function startMetricsAdapter(opts: { waitMs?: number } = {}): Promise<MetricsAdapter> {
  if (!shared) {
    starting ??= start(opts.waitMs ?? 300_000).finally(() => (starting = undefined));
    const server = await starting;
    shared ??= { server, refs: 0 };
  }
  const s = shared;
  s.refs++;
  const server = s.server;
  let closed = false;
  return {
    url: `https://127.0.0.1:${server.port}`,
    port: server.port,
    setPodMetric: (namespace, pod, metric, value, o = {}) =>
      server.setCustom(namespace, { resource: 'pods', name: pod }, metric, value, o.labels ?? {}),
    setObjectMetric: (namespace, object, metric, value, o = {}) => server.setCustom(namespace, object, metric, value, o.labels ?? {}),
    setExternalMetric: (namespace, metric, labels, value) => server.setExternal(namespace, metric, labels, value),
    deleteMetric(namespace, metric) {
      server.custom.get(namespace)?.delete(metric);
      server.external.get(namespace)?.delete(metric);
    },
    clear(namespace) {
      server.custom.delete(namespace);
      server.external.delete(namespace);
    },
    requests: () => [...server.log],
    async close() {
      if (closed) return;
      closed = true;
      if (--s.refs > 0) return;
      if (shared === s) shared = undefined;
      try {
        await unregister();
      } finally {
        await server.close();
        await releaseLease();
      }
    },
  };
}
