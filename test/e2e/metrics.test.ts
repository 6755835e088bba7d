// A real Prometheus (Debian's package, own process on a free port, own storage in a temp dir) scrapes
// the operator: the controller-runtime metrics of every controller arrive, the chart's alert rules load
// and evaluate against them (the "operator down" and "no leader" alerts stay inactive while the operator
// runs and leads), and every query of the chart's Grafana dashboard is valid PromQL.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { OPT_IN_CONTROLLERS } from '../../src/cli.ts';
import { controllers as available } from '../../src/controllers/index.ts';
import { createNamespace, deleteNamespace, kubectl } from '../support/kube.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { PROMTOOL, startPrometheus, type Prometheus } from '../support/prometheus.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { CHART, find, render, run } from './support.ts';

jest.setTimeout(300_000);

const POD = 'tentacle-7c9d8f6b5-x2x2x'; // as a pod of the chart's Deployment would be named
const NFS_PROVISIONER = `e2e-metrics-${process.pid}`;

/** Objects that make each controller reconcile (the lead adds one per new controller). */
const triggers: Record<string, () => unknown> = {
  job: () => ({
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'Job',
    metadata: { name: 'metrics' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
  }),
  cronjob: () => ({
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'CronJob',
    metadata: { name: 'metrics' },
    spec: {
      schedule: '@hourly',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } } },
    },
  }),
  statefulset: () => ({
    apiVersion: 'apps.tentacle.dev/v1alpha1',
    kind: 'StatefulSet',
    metadata: { name: 'metrics' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'metrics' } },
      template: { metadata: { labels: { app: 'metrics' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
    },
  }),
  // Its target does not exist: the sync fails to get the scale (a reconcile all the same).
  autoscaler: () => ({
    apiVersion: 'autoscaling.tentacle.dev/v1alpha1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'metrics' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'metrics' }, maxReplicas: 2 },
  }),
  // Cluster-scoped (deleted in afterAll()); no --nfs-agent-image, so its status says the agent is missing.
  nfs: () => ({
    apiVersion: 'storage.tentacle.dev/v1alpha1',
    kind: 'NFSProvisioner',
    metadata: { name: NFS_PROVISIONER },
    spec: { server: '10.0.0.5', path: '/exports/metrics', storageClassName: NFS_PROVISIONER },
  }),
};

describe('Prometheus scrapes the operator', () => {
  // What --controllers=all runs (the chart's default set): opt-in ones need flags of their own.
  const controllers = Object.keys(available).filter((c) => !OPT_IN_CONTROLLERS.includes(c));
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-e2e-prometheus-'));
  let namespace = '';
  let operator: OperatorProcess | undefined;
  let prometheus: Prometheus | undefined;
  let promUrl = '';

  const query = (q: string): Promise<any[]> => prometheus!.query(q);

  beforeAll(async () => {
    namespace = await createNamespace('metrics');
    operator = await runOperator([`--controllers=${controllers.join(',')}`, `--namespace=${namespace}`, '--leader-elect', `--leader-election-namespace=${namespace}`]);

    // The chart's alert rules, for this namespace; checked by promtool, then loaded.
    const { objects } = await render({ namespace, set: ['metrics.prometheusRule.enabled=true', 'fullnameOverride=tentacle', 'metrics.prometheusRule.for=1s'] });
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, yaml.dump({ groups: find(objects, 'PrometheusRule')!.spec.groups.map((g: any) => ({ ...g, interval: '1s' })) }));
    await run(PROMTOOL, ['check', 'rules', rules]);

    prometheus = await startPrometheus({
      ruleFiles: [rules],
      scrapeConfigs: [{
        job_name: 'tentacle',
        static_configs: [{ targets: [`127.0.0.1:${operator.metricsPort}`], labels: { namespace, pod: POD } }],
      }],
    });
    promUrl = prometheus.url;

    for (const name of controllers) {
      const trigger = triggers[name];
      if (trigger) await kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify(trigger()));
    }
  });

  afterAll(async () => {
    await prometheus?.stop();
    if (operator && operator.child.exitCode === null) await operator.stop();
    if (namespace) await deleteNamespace(namespace);
    await kubectl(['delete', '--ignore-not-found', '--wait=false', 'nfsprovisioners.storage.tentacle.dev', NFS_PROVISIONER]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('controller_runtime_reconcile_total and workqueue_depth of every controller reach Prometheus', async () => {
    await waitFor(async () => (await query(`up{job="tentacle"}`))[0]?.value[1] === '1', { what: 'the operator target is up' });
    for (const name of controllers) {
      const reconciles = await waitFor(async () => {
        const r = await query(`sum(controller_runtime_reconcile_total{controller="${name}"})`);
        const value = Number(r[0]?.value[1]);
        return r.length && (!triggers[name] || value > 0) ? value : undefined;
      }, { what: `controller_runtime_reconcile_total of ${name}`, timeoutMs: 60_000 });
      if (triggers[name]) assert.ok(reconciles > 0, `${name} reconciled`);
      const depth = await query(`workqueue_depth{name="${name}",controller="${name}"}`);
      assert.equal(depth.length, 1, `workqueue_depth of ${name}`);
      assert.equal(depth[0].metric.namespace, namespace);
    }
    const leader = await query('leader_election_master_status{name="tentacle-operator"}');
    assert.equal(leader[0]?.value[1], '1', 'the leader gauge says this replica leads');
  });

  test('the chart\'s alert rules load, evaluate without error, and stay quiet for a healthy leader', async () => {
    // Until the first scrape, "operator down" is true; it must clear once the target is scraped.
    const rules = await waitFor(async () => {
      // JSON.parse rather than .json(): fetch's arrays are of Node's realm under Jest, not the literal's below.
      const body = JSON.parse(await (await fetch(`${promUrl}/api/v1/rules`)).text());
      const all = (body.data.groups as any[]).flatMap((g) => g.rules);
      return all.length && all.every((r: any) => r.health === 'ok' && r.state === 'inactive') ? all : undefined;
    }, { what: 'every rule evaluated, healthy and inactive', timeoutMs: 30_000 });
    assert.deepEqual(rules.map((r: any) => r.name), ['TentacleOperatorDown', 'TentacleReconcileErrors', 'TentacleWorkQueueBacklog', 'TentacleNoLeader']);
    for (const r of rules) assert.equal(r.lastError ?? '', '', r.name);
    // The rules do select the operator's series: the leader rule with its threshold raised returns the gauge.
    const noLeader = rules.find((r: any) => r.name === 'TentacleNoLeader').query as string;
    assert.equal((await query(noLeader.replace('< 1', '< 2'))).length, 1, 'the leader rule matches the operator\'s gauge');
  });

  test('every query of the Grafana dashboard is valid PromQL and the key panels have data', async () => {
    const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards/tentacle.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    assert.ok(exprs.length >= 15);
    const concrete = (e: string) => e.replaceAll('$__rate_interval', '1m').replace(/\$(namespace|controller|job)\b/g, '.*');
    for (const e of exprs) await query(concrete(e));
    for (const v of dashboard.templating.list.filter((x: any) => x.type === 'query')) {
      const inner = /label_values\((.*), *\w+\)$/.exec(v.query.query)![1]!;
      await query(concrete(inner));
    }
    const withData = ['workqueue_depth', 'controller_runtime_reconcile_total', 'rest_client_requests_total'];
    for (const m of withData) {
      const e = exprs.find((x) => x.includes(m))!;
      const r = await waitFor(async () => ((await query(concrete(e))).length ? query(concrete(e)) : undefined), { what: `data for ${e}` });
      assert.ok(r.length > 0, e);
    }
  });
});
