// The HorizontalPodAutoscaler controller as users run it: the operator process against the local control
// plane, scaling built-in Deployments (kube-controller-manager's deployment controller makes the pods,
// kwok runs them) and our StatefulSet. Metrics come the real ways: a real Prometheus scraping an
// exporter the test controls, metrics-server reading kwok's emulated kubelet (CPU from the pod
// annotation kwok.x-k8s.io/usage-cpu) through the aggregation layer, and a custom/external metrics
// adapter the test serves through the aggregation layer.
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { HORIZONTAL_POD_AUTOSCALER, type HorizontalPodAutoscaler, type HorizontalPodAutoscalerSpec } from '../../src/api/autoscaling/types.ts';
import { STATEFULSET } from '../../src/api/apps/types.ts';
import { DEPLOYMENT } from '../../src/api/core/types.ts';
import type { Client } from '../../src/runtime/client/client.ts';
import type { GroupVersionKind } from '../../src/runtime/types.ts';
import { startExporter, type Exporter } from '../support/exporter.ts';
import { startMetricsAdapter, type MetricsAdapter } from '../support/metrics-adapter.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';

jest.setTimeout(600_000);

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };
const QUICK = { scaleDown: { stabilizationWindowSeconds: 0 } };

describe('HorizontalPodAutoscaler controller', () => {
  let client: Client;
  let namespace: string;
  let operator: OperatorProcess;
  let exporter: Exporter;
  let prometheus: Prometheus;
  let adapter: MetricsAdapter;

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'hpa');
    exporter = await startExporter();
    prometheus = await startPrometheus({ scrapeConfigs: [{ job_name: 'app', static_configs: [{ targets: [exporter.target] }] }] });
    adapter = await startMetricsAdapter();
    operator = await runOperator([`--controllers=autoscaler,statefulset`, `--namespace=${namespace}`, `--prometheus-address=${prometheus.url}`]);
  });

  afterAll(async () => {
    await operator?.stop();
    await adapter?.close();
    await prometheus?.stop();
    await exporter?.close();
    if (namespace) await deleteNamespace(client, namespace);
    await client?.close();
  });

  async function deployment(name: string, replicas: number, extra: { cpuRequest?: string; cpuUsage?: string } = {}): Promise<void> {
    await client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, ...(extra.cpuUsage ? { annotations: { 'kwok.x-k8s.io/usage-cpu': extra.cpuUsage } } : {}) },
          spec: {
            containers: [{ name: 'main', image: 'busybox:1.36', ...(extra.cpuRequest ? { resources: { requests: { cpu: extra.cpuRequest } } } : {}) }],
          },
        },
      },
    } as any);
  }

  async function hpa(name: string, spec: Partial<HorizontalPodAutoscalerSpec>, target = { apiVersion: 'apps/v1', kind: 'Deployment', name }): Promise<void> {
    await client.create({
      apiVersion: 'autoscaling.tentacle.dev/v1alpha1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace },
      spec: { scaleTargetRef: target, maxReplicas: 10, ...spec },
    });
  }

  const replicasOf = async (name: string, gvk: GroupVersionKind = DEPLOYMENT) => ((await client.get<any>(gvk, namespace, name)).spec.replicas as number);
  const status = async (name: string) => (await client.get<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALER, namespace, name)).status;
  /**
   * Target `name` at `want` replicas, and HPA `name`'s status saying so: a sync writes the scale and then
   * the status, two requests, and a status read between them would show the sync before.
   */
  const waitReplicas = async (name: string, want: number, gvk: GroupVersionKind = DEPLOYMENT, timeoutMs = 90_000) => {
    await waitFor(async () => (await replicasOf(name, gvk)) === want, { what: `${name} at ${want} replicas`, timeoutMs, intervalMs: 500 });
    await waitFor(async () => (await status(name))?.desiredReplicas === want, { what: `HPA ${name}'s status at ${want} desired replicas` });
  };
  const condition = async (name: string, type: string) => (await status(name))?.conditions?.find((c) => c.type === type);
  const events = async (name: string) =>
    (await client.list<any>(EVENTS, { namespace })).items.filter((e) => e.regarding?.name === name && e.regarding?.kind === 'HorizontalPodAutoscaler');
  const promMetric = (query: string, averageValue: string, extra: object = {}) => ({
    type: 'Prometheus' as const,
    prometheus: { query, target: { type: 'AverageValue' as const, averageValue, ...extra } },
  });

  test('scales a Deployment up and down from a Prometheus query', async () => {
    exporter.set('jobs_waiting', { queue: 'up-down' }, 40);
    await deployment('worker', 1);
    await hpa('worker', { minReplicas: 1, maxReplicas: 6, metrics: [promMetric('sum(jobs_waiting{queue="up-down"})', '10')], behavior: QUICK });

    await waitReplicas('worker', 4); // ceil(40 / 10)
    const up = await status('worker');
    assert.equal(up?.desiredReplicas, 4);
    assert.ok(up?.lastScaleTime, 'lastScaleTime set');
    assert.deepEqual(up?.currentMetrics?.[0]?.prometheus?.query, 'sum(jobs_waiting{queue="up-down"})');
    const rescale = await waitFor(async () => (await events('worker')).find((e) => e.reason === 'SuccessfulRescale'), { what: 'SuccessfulRescale event' });
    assert.match(rescale.note, /^New size: 4; reason: /);

    exporter.set('jobs_waiting', { queue: 'up-down' }, 10); // 10 / 4 = 2.5 per pod → ceil(4 × 0.25) = 1
    await waitReplicas('worker', 1);
    const hpaObj = await client.get<any>(HORIZONTAL_POD_AUTOSCALER, namespace, 'worker');
    assert.equal(hpaObj.status.reference, 'Deployment/worker');
    assert.match(hpaObj.status.targets, /^\S+\/10 \(avg\)$/);
    assert.equal((await condition('worker', 'ScalingActive'))?.status, 'True');
  });

  test('a broken Prometheus leaves replicas alone and says why', async () => {
    await deployment('stuck', 3);
    await hpa('stuck', {
      minReplicas: 1,
      metrics: [{ type: 'Prometheus', prometheus: { serverAddress: 'http://127.0.0.1:9', query: 'sum(up)', target: { type: 'Value', value: '1' } } }],
      behavior: QUICK,
    });
    const active = await waitFor(async () => {
      const c = await condition('stuck', 'ScalingActive');
      return c?.status === 'False' ? c : undefined;
    }, { what: 'ScalingActive False' });
    assert.equal(active.reason, 'FailedGetPrometheusMetric');
    assert.match(active.message ?? '', /unreachable|ECONNREFUSED/);

    // A query Prometheus rejects: its own error message surfaces.
    await client.patch(HORIZONTAL_POD_AUTOSCALER, namespace, 'stuck', { spec: { metrics: [promMetric('sum(', '1')] } }, 'merge');
    const parse = await waitFor(async () => {
      const c = await condition('stuck', 'ScalingActive');
      return c?.message?.includes('parse error') ? c : undefined;
    }, { what: "the query's parse error in ScalingActive" });
    assert.equal(parse.status, 'False');
    const warning = await waitFor(async () => (await events('stuck')).find((e) => e.reason === 'FailedGetPrometheusMetric'), { what: 'Warning event' });
    assert.equal(warning.type, 'Warning');
    assert.equal(await replicasOf('stuck'), 3, 'a failing metric never scales');
  });

  test('Resource metrics through metrics-server: CPU utilization of the pods', async () => {
    // 300m used of 200m requested = 150 % against a 50 % target → 3 replicas.
    await deployment('cpu', 1, { cpuRequest: '200m', cpuUsage: '300m' });
    await hpa('cpu', { minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], behavior: QUICK });
    await waitReplicas('cpu', 3, DEPLOYMENT, 180_000);
    const s = await status('cpu');
    assert.ok((s?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0) >= 100, JSON.stringify(s?.currentMetrics));
    assert.match(String((await client.get<any>(HORIZONTAL_POD_AUTOSCALER, namespace, 'cpu')).status.targets), /^cpu: \d+%\/50%$/);
  });

  test('custom and external metrics through the aggregation layer', async () => {
    await deployment('ext', 1);
    adapter.setExternalMetric(namespace, 'queue_depth', { queue: 'ext' }, 25);
    await hpa('ext', { minReplicas: 1, metrics: [{ type: 'External', external: { metric: { name: 'queue_depth', selector: { matchLabels: { queue: 'ext' } } }, target: { type: 'AverageValue', averageValue: '5' } } }], behavior: QUICK });
    await waitReplicas('ext', 5); // 25 / 5

    await deployment('obj', 1);
    adapter.setObjectMetric(namespace, { resource: 'deployments.apps', name: 'obj' }, 'requests_per_second', '300');
    await hpa('obj', {
      minReplicas: 1,
      metrics: [{ type: 'Object', object: { describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'obj' }, metric: { name: 'requests_per_second' }, target: { type: 'Value', value: '100' } } }],
      behavior: QUICK,
    });
    await waitReplicas('obj', 3); // 300 / 100 × 1
  });

  test('scales our StatefulSet through its scale subresource', async () => {
    await client.create({
      apiVersion: 'apps.tentacle.dev/v1alpha1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace },
      spec: {
        replicas: 1,
        serviceName: 'db',
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
      },
    } as any);
    exporter.set('connections', { db: 'db' }, 90);
    await hpa('db', { minReplicas: 1, metrics: [promMetric('sum(connections{db="db"})', '30')] }, { apiVersion: 'apps.tentacle.dev/v1alpha1', kind: 'StatefulSet', name: 'db' });
    await waitReplicas('db', 3, STATEFULSET);
    await waitFor(async () => (await client.get<any>(STATEFULSET, namespace, 'db')).status?.readyReplicas === 3, { what: 'db-0..2 Ready', timeoutMs: 60_000 });
  });

  test('dry run reports the decision and never scales', async () => {
    exporter.set('jobs_waiting', { queue: 'dry' }, 50);
    await deployment('dry', 1);
    // 50 per pod against 10 → 5, limited to 4 by the scale-up rate without behavior (max(2 × 1, 4), as upstream).
    await hpa('dry', { dryRun: true, metrics: [promMetric('sum(jobs_waiting{queue="dry"})', '10')] });
    const s = await waitFor(async () => {
      const st = await status('dry');
      return st?.desiredReplicas === 4 ? st : undefined;
    }, { what: 'desiredReplicas 4 in status' });
    assert.equal(s.currentReplicas, 1);
    assert.equal(s.lastScaleTime, undefined);
    const e = await waitFor(async () => (await events('dry')).find((ev) => ev.reason === 'DryRunRescale'), { what: 'DryRunRescale event' });
    assert.match(e.note, /New size: 4; .*\(dry run: target not scaled\)/);
    assert.equal(await replicasOf('dry'), 1);
  });

  test('scales to zero below the activation value and back from zero above it', async () => {
    exporter.set('jobs_waiting', { queue: 'zero' }, 0);
    await deployment('zero', 2);
    await hpa('zero', { minReplicas: 0, metrics: [promMetric('sum(jobs_waiting{queue="zero"})', '10', { activationValue: '5' })], behavior: QUICK });
    await waitReplicas('zero', 0);
    exporter.set('jobs_waiting', { queue: 'zero' }, 4); // at or below activation: stays at zero
    await waitFor(async () => (await prometheus.query('sum(jobs_waiting{queue="zero"})'))[0]?.value[1] === '4', { what: 'Prometheus sees 4' });
    const idle = await waitFor(async () => {
      const c = await condition('zero', 'ScalingActive');
      return c?.reason === 'ScaledToZero' ? c : undefined;
    }, { what: 'ScalingActive ScaledToZero' });
    assert.equal(idle.status, 'False');
    assert.equal(await replicasOf('zero'), 0);
    exporter.set('jobs_waiting', { queue: 'zero' }, 25);
    await waitReplicas('zero', 3); // ceil(25 / 10)
  });

  test('a spec change is acted on without waiting for the next sync', async () => {
    exporter.set('jobs_waiting', { queue: 'spec' }, 80);
    await deployment('spec', 1);
    await hpa('spec', { maxReplicas: 6, metrics: [promMetric('sum(jobs_waiting{queue="spec"})', '10')] });
    await waitReplicas('spec', 6);
    // The next periodic sync is up to 15 s away; a maxReplicas change must not wait for it.
    const changed = Date.now();
    await client.patch(HORIZONTAL_POD_AUTOSCALER, namespace, 'spec', { spec: { maxReplicas: 2 } }, 'merge');
    await waitReplicas('spec', 2);
    const limited = await condition('spec', 'ScalingLimited');
    assert.equal(limited?.reason, 'TooManyReplicas');
    const lastScale = Date.parse((await status('spec'))?.lastScaleTime ?? '');
    assert.ok(lastScale >= Math.floor(changed / 1000) * 1000, 'rescaled after the change');
  });

  test('two HPAs over the same pods: both stop scaling with AmbiguousSelector until one is gone', async () => {
    // 20 / 10 per pod = 2 replicas, the current count: whichever HPA syncs first has nothing to change.
    exporter.set('jobs_waiting', { queue: 'shared' }, 20);
    await deployment('shared', 2);
    const metrics = [promMetric('sum(jobs_waiting{queue="shared"})', '10')];
    await hpa('shared-a', { minReplicas: 1, metrics }, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shared' });
    await hpa('shared-b', { minReplicas: 1, metrics }, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shared' });
    for (const name of ['shared-a', 'shared-b']) {
      const active = await waitFor(async () => {
        const c = await condition(name, 'ScalingActive');
        return c?.reason === 'AmbiguousSelector' ? c : undefined;
      }, { what: `${name}: ScalingActive AmbiguousSelector`, timeoutMs: 60_000 });
      assert.equal(active.status, 'False');
      assert.match(active.message ?? '', new RegExp(`controlled by multiple HPAs: \\[${namespace}/shared-a ${namespace}/shared-b\\]`));
      const warning = await waitFor(async () => (await events(name)).find((e) => e.reason === 'AmbiguousSelector'), { what: `${name}: Warning event` });
      assert.equal(warning.type, 'Warning');
    }
    assert.equal(await replicasOf('shared'), 2);

    await client.delete(HORIZONTAL_POD_AUTOSCALER, namespace, 'shared-b');
    await waitFor(async () => (await condition('shared-a', 'ScalingActive'))?.status === 'True', {
      what: 'shared-a active again once shared-b is gone',
      timeoutMs: 60_000,
    });
  });
});
