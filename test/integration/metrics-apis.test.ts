// The metrics infrastructure the autoscaler tests stand on, end to end through the shared control plane:
//   1. resource metrics: kwok reports the CPU/memory usage set by pod annotations as kubelet resource
//      metrics, metrics-server scrapes them, the aggregator serves them as metrics.k8s.io;
//   2. custom and external metrics from the test's adapter (test/support/metrics-adapter.ts) through
//      the aggregator;
//   3. a real Prometheus scraping the test's exporter (test/support/{prometheus,exporter}.ts).
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { create, createNamespace, deleteNamespace, kubectl, kubeRequest } from '../support/kube.ts';
import { startExporter, type Exporter } from '../support/exporter.ts';
import { ADAPTER_APISERVICES, startMetricsAdapter, type MetricsAdapter } from '../support/metrics-adapter.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';
import { waitFor } from '../../src/testing/wait.ts';

jest.setTimeout(180_000);

const USAGE_CPU = 'kwok.x-k8s.io/usage-cpu';
const USAGE_MEMORY = 'kwok.x-k8s.io/usage-memory';

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};
/** A Kubernetes quantity as a number ('249993790n' → 0.2499…, '64Mi' → 67108864). */
function parseQuantity(q: string): number {
  const m = /^([0-9.eE+-]+?)(n|u|m|k|M|G|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

function pod(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, annotations },
    spec: { containers: [{ name: 'main', image: 'registry.example/main:1' }] },
  };
}

async function apiService(name: string): Promise<any> {
  return (await kubeRequest('GET', `/apis/apiregistration.k8s.io/v1/apiservices/${name}`)).body;
}
const available = (svc: any) =>
  (svc?.status?.conditions ?? []).some((c: any) => c.type === 'Available' && c.status === 'True');

describe('metrics APIs', () => {
  describe('resource metrics: kwok usage annotations → metrics-server → metrics.k8s.io', () => {
    let ns = '';
    beforeAll(async () => {
      ns = await createNamespace('metrics-resource');
    });
    afterAll(async () => {
      if (ns) await deleteNamespace(ns);
    });

    test('a pod\'s CPU and memory annotations are its usage, and a changed annotation is reported within a resolution', async () => {
      assert.ok(available(await apiService('v1beta1.metrics.k8s.io')), 'metrics-server registered and Available');
      await create(pod('busy', { app: 'busy' }, { [USAGE_CPU]: '250m', [USAGE_MEMORY]: '64Mi' }), ns);
      const usage = async () => {
        const res = await kubeRequest('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/busy`);
        if (res.status !== 200) return undefined;
        const c = res.body.containers?.[0]?.usage;
        return c ? { cpu: parseQuantity(c.cpu), memory: parseQuantity(c.memory), timestamp: res.body.timestamp as string } : undefined;
      };
      // A new pod needs two scrapes (metrics-server reports the CPU rate between its last two).
      const created = Date.now();
      const first = await waitFor(usage, { what: 'metrics of pod busy', timeoutMs: 60_000, intervalMs: 500 });
      console.log(`# first metrics of a new pod after ${((Date.now() - created) / 1000).toFixed(1)} s`);
      assert.ok(Math.abs(first.cpu - 0.25) < 0.0125, `cpu ${first.cpu} ≈ 250m`);
      assert.equal(first.memory, 64 * 2 ** 20);

      // The list and kubectl top (what people use) agree.
      const list = await kubeRequest('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods?labelSelector=app%3Dbusy`);
      assert.deepEqual(list.body.items.map((p: any) => p.metadata.name), ['busy']);
      const top = await kubectl(['top', 'pods', '-n', ns, '--no-headers']);
      const [, cpu, memory] = /^busy\s+(\d+m)\s+(\S+)/m.exec(top) ?? [];
      assert.ok(Math.abs(parseQuantity(cpu ?? '0') - 0.25) < 0.0125 && memory === '64Mi', `kubectl top: ${top}`);

      await kubectl(['annotate', '-n', ns, 'pod/busy', '--overwrite', `${USAGE_CPU}=600m`, `${USAGE_MEMORY}=128Mi`]);
      const changed = Date.now();
      const next = await waitFor(
        async () => {
          const u = await usage();
          return u && Math.abs(u.cpu - 0.6) < 0.03 ? u : undefined;
        },
        { what: 'cpu usage 600m after the annotation changed', timeoutMs: 45_000, intervalMs: 250 },
      );
      const latency = (Date.now() - changed) / 1000;
      console.log(`# annotation change reported after ${latency.toFixed(1)} s`);
      assert.equal(next.memory, 128 * 2 ** 20);
    });
  });

  describe('custom and external metrics from the test adapter through the aggregator', () => {
    let ns = '';
    let adapter: MetricsAdapter | undefined;
    // startMetricsAdapter waits up to 5 minutes for another file's adapter (autoscaler.test.ts) to be
    // closed, then up to 1 minute for its APIServices: more than this file's timeout.
    beforeAll(async () => {
      ns = await createNamespace('metrics-adapter');
      adapter = await startMetricsAdapter();
    }, 420_000);
    afterAll(async () => {
      await adapter?.close();
      if (ns) await deleteNamespace(ns);
    });

    test('both APIServices are Available and discovery lists the metrics', async () => {
      for (const name of ADAPTER_APISERVICES) assert.ok(available(await apiService(name)), `${name} Available`);
      adapter!.setPodMetric(ns, 'web-0', 'http_requests', 1);
      adapter!.setExternalMetric(ns, 'queue_depth', { queue: 'orders' }, 42);
      const custom = await kubeRequest('GET', '/apis/custom.metrics.k8s.io/v1beta2');
      assert.equal(custom.status, 200);
      assert.equal(custom.body.kind, 'APIResourceList');
      assert.ok(custom.body.resources.some((r: any) => r.name === 'pods/http_requests' && r.namespaced));
      const external = await kubeRequest('GET', '/apis/external.metrics.k8s.io/v1beta1');
      assert.ok(external.body.resources.some((r: any) => r.name === 'queue_depth'));
      const groups = (await kubeRequest('GET', '/apis')).body.groups.map((g: any) => g.name);
      assert.ok(groups.includes('custom.metrics.k8s.io') && groups.includes('external.metrics.k8s.io'), 'aggregated groups in /apis');
    });

    test('pod metrics by label selector, object metrics, namespace metrics', async () => {
      await create(
        { apiVersion: 'v1', kind: 'List', items: [pod('web-0', { app: 'web' }), pod('web-1', { app: 'web' }), pod('other', { app: 'other' })] },
        ns,
      );
      const a = adapter!;
      a.setPodMetric(ns, 'web-0', 'http_requests', 1);
      a.setPodMetric(ns, 'web-1', 'http_requests', '2500m');
      a.setPodMetric(ns, 'other', 'http_requests', 7);
      a.setPodMetric(ns, 'not-a-pod', 'http_requests', 9); // no such pod: never returned for a selector
      const base = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${ns}`;
      const res = await kubeRequest('GET', `${base}/pods/*/http_requests?labelSelector=${encodeURIComponent('app=web')}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.kind, 'MetricValueList');
      assert.equal(res.body.apiVersion, 'custom.metrics.k8s.io/v1beta2');
      const items = [...res.body.items].sort((x: any, y: any) => x.describedObject.name.localeCompare(y.describedObject.name));
      assert.deepEqual(
        items.map((i: any) => [i.describedObject, i.metric, i.value]),
        [
          [{ kind: 'Pod', namespace: ns, name: 'web-0', apiVersion: 'v1' }, { name: 'http_requests', selector: null }, '1'],
          [{ kind: 'Pod', namespace: ns, name: 'web-1', apiVersion: 'v1' }, { name: 'http_requests', selector: null }, '2500m'],
        ],
      );
      assert.ok(!Number.isNaN(Date.parse(items[0].timestamp)));
      const setBased = await kubeRequest('GET', `${base}/pods/*/http_requests?labelSelector=${encodeURIComponent('app in (web,other),app!=web')}`);
      assert.deepEqual(setBased.body.items.map((i: any) => i.describedObject.name), ['other']);
      const one = await kubeRequest('GET', `${base}/pods/web-1/http_requests`);
      assert.deepEqual(one.body.items.map((i: any) => i.value), ['2500m']);

      a.setObjectMetric(ns, { resource: 'deployments.apps', name: 'web' }, 'requests_per_second', 30);
      const obj = await kubeRequest('GET', `${base}/deployments.apps/web/requests_per_second`);
      assert.equal(obj.status, 200, obj.text);
      assert.deepEqual(obj.body.items[0].describedObject, { kind: 'Deployment', namespace: ns, name: 'web', apiVersion: 'apps/v1' });
      assert.equal(obj.body.items[0].value, '30');
      // The same object asked for without its group.
      assert.equal((await kubeRequest('GET', `${base}/deployments/web/requests_per_second`)).body.items[0].value, '30');

      a.setObjectMetric(ns, { resource: 'namespaces', name: ns }, 'tenants', 3);
      const nsMetric = await kubeRequest('GET', `${base}/metrics/tenants`);
      assert.deepEqual(nsMetric.body.items[0].describedObject, { kind: 'Namespace', name: ns, apiVersion: 'v1' });

      const missing = await kubeRequest('GET', `${base}/pods/*/nope?labelSelector=app%3Dweb`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.reason, 'NotFound');
      a.deleteMetric(ns, 'http_requests');
      assert.equal((await kubeRequest('GET', `${base}/pods/web-0/http_requests`)).status, 404);
    });

    test('external metrics by label selector', async () => {
      const a = adapter!;
      a.setExternalMetric(ns, 'queue_depth', { queue: 'orders' }, 42);
      a.setExternalMetric(ns, 'queue_depth', { queue: 'billing' }, 7.5);
      const base = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}`;
      const res = await kubeRequest('GET', `${base}/queue_depth?labelSelector=${encodeURIComponent('queue=orders')}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.kind, 'ExternalMetricValueList');
      assert.equal(res.body.apiVersion, 'external.metrics.k8s.io/v1beta1');
      assert.equal(res.body.items.length, 1);
      const [item] = res.body.items;
      assert.deepEqual([item.metricName, item.metricLabels, item.value], ['queue_depth', { queue: 'orders' }, '42']);
      assert.ok(!Number.isNaN(Date.parse(item.timestamp)));
      const all = await kubeRequest('GET', `${base}/queue_depth`);
      assert.deepEqual(all.body.items.map((i: any) => i.value).sort(), ['42', '7500m']);
      // Another namespace sees nothing of this one's data.
      assert.equal((await kubeRequest('GET', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth')).status, 404);
    });

    test('close() unregisters the APIServices (last test of this group)', async () => {
      assert.ok(adapter!.requests().some((p) => p.startsWith('/apis/external.metrics.k8s.io/v1beta1/namespaces/')));
      await adapter!.close();
      adapter = undefined;
      for (const name of ADAPTER_APISERVICES) {
        assert.equal((await kubeRequest('GET', `/apis/apiregistration.k8s.io/v1/apiservices/${name}`)).status, 404, name);
      }
      const lease = await kubeRequest('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/tentacle-test-metrics-adapter');
      assert.equal(lease.status, 404, 'the Lease is released');
    });
  });

  describe('Prometheus scrapes an exporter the test controls', () => {
    let exporter: Exporter | undefined;
    let prometheus: Prometheus | undefined;
    beforeAll(async () => {
      exporter = await startExporter();
      prometheus = await startPrometheus({
        scrapeConfigs: [{ job_name: 'exporter', static_configs: [{ targets: [exporter.target] }] }],
      });
    });
    afterAll(async () => {
      await prometheus?.stop();
      await exporter?.close();
    });

    test('a value set on the exporter is what PromQL returns, and follows changes', async () => {
      const e = exporter!;
      const p = prometheus!;
      e.set('tentacle_test_queue_depth', { queue: 'orders' }, 42);
      e.set('tentacle_test_queue_depth', { queue: 'billing' }, 1.5);
      await p.waitForTargets('exporter');
      const value = (q: string) => async () => (await p.query(q))[0]?.value[1];
      assert.equal(await waitFor(value('tentacle_test_queue_depth{queue="orders"}'), { what: 'the sample' }), '42');
      assert.equal(await waitFor(value('sum(tentacle_test_queue_depth)'), { what: 'the sum' }), '43.5');
      e.set('tentacle_test_queue_depth', { queue: 'orders' }, 100);
      await waitFor(async () => (await value('tentacle_test_queue_depth{queue="orders"}')()) === '100', { what: 'the new value' });
      await assert.rejects(p.query('sum('), /parse error/);
      assert.ok(e.scrapes() > 0);
    });

    test('stop() kills Prometheus and waits for it', async () => {
      const pid = prometheus!.pid;
      await prometheus!.stop();
      prometheus = undefined;
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    });
  });
});
