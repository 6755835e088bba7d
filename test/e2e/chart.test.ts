// The Helm chart as a user installs it: lint, rendering under every CI values file (conventions,
// security, RBAC shape, metrics objects), failures with clear messages on bad values, the CRDs being
// exactly crds/, and every rendered object accepted by the real API server (dry run).
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import yaml from 'js-yaml';
import { createNamespace, deleteNamespace, kubectl } from '../support/kube.ts';
import { all, CHART, ciValuesFiles, find, helm, render, REPO, run, triples, type Manifest, type PolicyRule } from './support.ts';

jest.setTimeout(300_000);

const MONITORING_CRDS = join(REPO, 'test/e2e/fixtures/monitoring-crds.yaml');
const crdFiles = () => readdirSync(join(REPO, 'crds')).filter((f) => f.endsWith('.yaml')).sort();

describe('Helm chart', () => {
  let namespace = '';

  beforeAll(async () => {
    namespace = await createNamespace('chart');
    await kubectl(['apply', '--server-side', '-f', MONITORING_CRDS]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', MONITORING_CRDS]);
  });

  afterAll(async () => {
    if (namespace) await deleteNamespace(namespace);
    await kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', MONITORING_CRDS]);
  });

  test('helm lint --strict passes with every CI values file', async () => {
    const files = ciValuesFiles();
    assert.deepEqual(files.map((f) => basename(f)), [
      'all-features-values.yaml',
      'default-values.yaml',
      'minimal-values.yaml',
      'podmonitor-values.yaml',
    ]);
    for (const f of files) {
      const out = await helm(['lint', '--strict', CHART, '-f', f]);
      assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/, `${basename(f)}: ${out}`);
    }
  });

  test('the chart\'s CRDs are the files of crds/, with the keep policy, and nothing else', async () => {
    await run('hack/sync-chart-crds.sh', ['--check']);
    assert.deepEqual(readdirSync(join(CHART, 'files/crds')).sort(), crdFiles(), 'files/crds lists the same files as crds/');
    const { objects } = await render();
    const rendered = all(objects, 'CustomResourceDefinition');
    assert.equal(rendered.length, crdFiles().length);
    for (const file of crdFiles()) {
      const source = yaml.load(readFileSync(join(REPO, 'crds', file), 'utf8')) as Manifest;
      const crd = find(rendered, 'CustomResourceDefinition', source.metadata.name);
      assert.ok(crd, `${file} is rendered`);
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep', `${file} is kept on uninstall`);
      assert.equal(crd.metadata.labels?.['app.kubernetes.io/part-of'], 'tentacle');
      // Identical to the source but for the chart's labels and annotations.
      const strip = (o: Manifest) => ({ ...o, metadata: { ...o.metadata, labels: undefined, annotations: undefined } });
      assert.deepEqual(strip(crd), strip(source), `${file} renders unchanged`);
    }
    const skipped = await render({ set: ['crds.install=false'] });
    assert.equal(all(skipped.objects, 'CustomResourceDefinition').length, 0, 'crds.install=false renders no CRD');
    const notKept = await render({ set: ['crds.keep=false'] });
    for (const crd of all(notKept.objects, 'CustomResourceDefinition')) {
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], undefined);
    }
  });

  test('defaults: conventions, two leader-elected replicas, PDB, probes, restricted security, metrics Service', async () => {
    const { objects } = await render({ namespace: 'ops' });
    for (const o of objects) {
      const l = o.metadata.labels ?? {};
      for (const key of ['helm.sh/chart', 'app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by']) {
        assert.ok(l[key], `${o.kind}/${o.metadata.name} has label ${key}`);
      }
      assert.equal(l['helm.sh/chart'], 'tentacle-0.1.0');
      assert.equal(l['app.kubernetes.io/managed-by'], 'Helm');
    }
    const deploy = find(objects, 'Deployment', 'tentacle')!;
    assert.ok(deploy, 'Deployment named after the release');
    assert.equal(deploy.spec.replicas, 2);
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    // The image's entrypoint, with the memory-sized V8 setting in front (values: nodeFlags).
    assert.deepEqual(c.command, ['node', '--lite-mode', '--enable-source-maps', 'dist/main.js']);
    assert.deepEqual(c.args.slice(0, 6), [
      '--controllers=job,cronjob,statefulset,autoscaler,nfs',
      '--metrics-bind-address=:8080',
      '--health-probe-bind-address=:8081',
      '--leader-elect',
      '--leader-election-namespace=ops',
      '--leader-election-id=tentacle-operator',
    ]);
    assert.ok(c.args.includes('--kube-api-qps=20') && c.args.includes('--kube-api-burst=30'));
    assert.ok(c.args.includes('--log-level=info') && c.args.includes('--log-format=json'));
    // nfs: agents run the operator's own image as the chart's agent ServiceAccount; no Prometheus default.
    assert.ok(c.args.includes('--nfs-agent-image=tentacle:0.1.0') && c.args.includes('--nfs-agent-service-account=tentacle-nfs-agent'));
    assert.ok(!c.args.some((a: string) => a.startsWith('--prometheus-address')));
    assert.ok(c.env.some((e: any) => e.name === 'POD_NAMESPACE' && e.valueFrom.fieldRef.fieldPath === 'metadata.namespace'));
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.deepEqual(c.ports.map((p: any) => [p.name, p.containerPort]), [['metrics', 8080], ['health', 8081]]);
    assert.ok(c.resources.requests.cpu && c.resources.limits.memory);
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.equal(pod.serviceAccountName, 'tentacle');
    assert.deepEqual(deploy.spec.selector.matchLabels, {
      'app.kubernetes.io/name': 'tentacle',
      'app.kubernetes.io/instance': 'tentacle',
      'app.kubernetes.io/component': 'operator',
    });
    const pdb = find(objects, 'PodDisruptionBudget')!;
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: deploy.spec.selector });
    const svc = find(objects, 'Service', 'tentacle-metrics')!;
    assert.equal(svc.metadata.annotations?.['prometheus.io/scrape'], 'true');
    assert.equal(svc.metadata.annotations?.['prometheus.io/port'], '8080');
    assert.equal(svc.metadata.annotations?.['prometheus.io/path'], '/metrics');
    assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.port]), [['metrics', 8080], ['health', 8081]]);
    assert.deepEqual(svc.spec.selector, deploy.spec.selector.matchLabels);
    assert.equal(find(objects, 'ServiceMonitor'), undefined);
    assert.equal(find(objects, 'PodMonitor'), undefined);
    const testPod = find(objects, 'Pod')!;
    assert.equal(testPod.metadata.annotations?.['helm.sh/hook'], 'test');
    assert.match(testPod.spec.containers[0].image, /^curlimages\/curl:\d+\.\d+\.\d+$/, 'pinned curl image');
    assert.match(testPod.spec.containers[0].args[0], /:8081\/readyz/);
    assert.match(testPod.spec.containers[0].args[0], /:8080\/metrics/);
  });

  test('RBAC: no wildcards but the autoscaler\'s, rules per enabled controller, Lease rules namespaced, events.k8s.io', async () => {
    const rulesFor = async (controllers: string[]) => {
      const { objects } = await render({ namespace: 'ops', set: [`controllers={${controllers.join(',')}}`] });
      const cr = find(objects, 'ClusterRole', 'tentacle')!;
      const role = find(objects, 'Role', 'tentacle-leader-election')!;
      return { objects, cluster: triples(cr.rules as PolicyRule[]), role, cr };
    };
    const job = await rulesFor(['job']);
    const both = await rulesFor(['job', 'cronjob']);
    const sts = await rulesFor(['statefulset']);
    const nfsOnly = await rulesFor(['nfs']);
    for (const { cr, role } of [job, both, sts, nfsOnly]) {
      for (const r of [...cr.rules, ...role.rules] as PolicyRule[]) {
        for (const field of [r.apiGroups, r.resources, r.verbs]) assert.ok(!field?.some((x) => x.includes('*')), `no wildcard: ${JSON.stringify(r)}`);
      }
    }
    // The autoscaler's wildcards are exactly upstream's kinds of them (any target's scale, metrics named
    // after the metric), with no wildcard verb.
    const hpa = await rulesFor(['autoscaler']);
    const wild = [...hpa.cluster].filter((t) => t.includes('*')).sort();
    assert.deepEqual(wild, ['* */scale get', '* */scale update', 'custom.metrics.k8s.io * get', 'external.metrics.k8s.io * list']);
    for (const t of ['autoscaling.tentacle.dev horizontalpodautoscalers watch', 'autoscaling.tentacle.dev horizontalpodautoscalers/status update',
      ' pods list', 'metrics.k8s.io pods list']) assert.ok(hpa.cluster.has(t), t);
    assert.ok(![...hpa.cluster].some((t) => / pods (create|patch|delete|update)$/.test(t)), 'the autoscaler only reads pods');
    // nfs: cluster-wide classes and provisioners; its agent Deployments only in the release namespace.
    for (const t of ['storage.tentacle.dev nfsprovisioners watch', 'storage.tentacle.dev nfsprovisioners/status update', 'storage.k8s.io storageclasses create',
      ' persistentvolumes watch']) assert.ok(nfsOnly.cluster.has(t), t);
    assert.ok(![...nfsOnly.cluster].some((t) => t.startsWith('apps ') || / persistentvolumes (create|patch|delete)$/.test(t)), 'nfs: no Deployments cluster-wide, no volume writes');
    const nfsRole = find(nfsOnly.objects, 'Role', 'tentacle')!;
    assert.equal(nfsRole.metadata.namespace, 'ops');
    assert.deepEqual([...triples(nfsRole.rules)].sort(), ['apps deployments create', 'apps deployments list', 'apps deployments update', 'apps deployments watch']);
    assert.deepEqual(find(nfsOnly.objects, 'RoleBinding', 'tentacle')!.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tentacle' });
    assert.equal(find(job.objects, 'Role', 'tentacle'), undefined, 'no namespaced controller Role without nfs');
    assert.ok(job.cluster.has('batch.tentacle.dev jobs watch'));
    assert.ok(job.cluster.has('batch.tentacle.dev jobs/status update'));
    assert.ok(![...job.cluster].some((t) => t.includes('cronjobs')), 'job alone grants nothing on cronjobs');
    assert.ok(both.cluster.has('batch.tentacle.dev cronjobs/status update'));
    assert.ok(sts.cluster.has('apps.tentacle.dev statefulsets watch'));
    assert.ok(sts.cluster.has('apps controllerrevisions create'));
    assert.ok(![...sts.cluster].some((t) => t.startsWith('batch.tentacle.dev')), 'statefulset alone grants nothing on batch');
    for (const { cluster } of [job, both, sts]) {
      assert.ok(cluster.has('events.k8s.io events create') && cluster.has('events.k8s.io events patch'));
      assert.ok(![...cluster].some((t) => t.startsWith('coordination.k8s.io')), 'Leases are not granted cluster-wide');
      assert.ok(![...cluster].some((t) => t.startsWith(' events')), 'no core/v1 events');
    }
    assert.equal(both.role.metadata.namespace, 'ops');
    assert.deepEqual([...triples(both.role.rules)].sort(), [
      'coordination.k8s.io leases create',
      'coordination.k8s.io leases get',
      'coordination.k8s.io leases update',
    ]);
    const rb = find(both.objects, 'RoleBinding')!;
    const crb = find(both.objects, 'ClusterRoleBinding')!;
    for (const b of [rb, crb]) assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'tentacle', namespace: 'ops' }]);
    // The NFS agent: only with the nfs controller (and its value), with its own ServiceAccount and Lease Role.
    assert.equal(find(both.objects, 'ServiceAccount', 'tentacle-nfs-agent'), undefined);
    assert.equal(find((await render({ namespace: 'ops', set: ['nfsAgent.enabled=false'] })).objects, 'ServiceAccount', 'tentacle-nfs-agent'), undefined);
    const nfs = await render({ namespace: 'ops' });
    assert.ok(find(nfs.objects, 'ServiceAccount', 'tentacle-nfs-agent'));
    assert.deepEqual([...triples(find(nfs.objects, 'Role', 'tentacle-nfs-agent')!.rules)].sort(), [
      'coordination.k8s.io leases create',
      'coordination.k8s.io leases get',
      'coordination.k8s.io leases update',
    ]);
    assert.deepEqual([...triples(find(nfs.objects, 'ClusterRole', 'tentacle-nfs-agent')!.rules)].sort(), [
      ' persistentvolumeclaims list',
      ' persistentvolumeclaims watch',
      ' persistentvolumeclaims/status patch',
      ' persistentvolumes create',
      ' persistentvolumes delete',
      ' persistentvolumes list',
      ' persistentvolumes patch',
      ' persistentvolumes watch',
      'events.k8s.io events create',
      'events.k8s.io events patch',
      'storage.k8s.io storageclasses list',
      'storage.k8s.io storageclasses watch',
      'storage.tentacle.dev nfsprovisioners list',
      'storage.tentacle.dev nfsprovisioners watch',
      'storage.tentacle.dev nfsprovisioners/status update',
    ]);
  });

  test('values: placement, priority, flags, controllers; bad values fail with a clear message', async () => {
    const { objects } = await render({ values: [join(CHART, 'ci/all-features-values.yaml')] });
    const pod = find(objects, 'Deployment')!.spec.template.spec;
    assert.equal(pod.priorityClassName, 'system-cluster-critical');
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(pod.tolerations[0].key, 'node-role.kubernetes.io/control-plane');
    assert.equal(pod.topologySpreadConstraints.length, 1);
    const args: string[] = pod.containers[0].args;
    for (const a of ['--controllers=job,cronjob,statefulset,autoscaler,nfs', '--prometheus-address=http://prometheus-operated.monitoring.svc:9090',
      '--nfs-agent-image=registry.example.com/tentacle:0.1.0', '--nfs-agent-service-account=tentacle-nfs-agent', '--kube-api-qps=50', '--kube-api-burst=100', '--log-level=debug', '--log-format=text']) {
      assert.ok(args.includes(a), a);
    }
    assert.equal(find(objects, 'Deployment')!.spec.replicas, 3);
    // The agents run as the operator runs: its Node flags and image pull secrets.
    const pulled = await render({ set: ['imagePullSecrets[0].name=regcred', 'imagePullSecrets[1].name=mirror'] });
    const pargs: string[] = find(pulled.objects, 'Deployment')!.spec.template.spec.containers[0].args;
    assert.ok(pargs.includes('--nfs-agent-image-pull-secrets=regcred,mirror'), pargs.join(' '));
    assert.ok(pargs.includes('--nfs-agent-node-flags=--lite-mode'), pargs.join(' '));
    const minimal = await render({ values: [join(CHART, 'ci/minimal-values.yaml')] });
    const margs: string[] = find(minimal.objects, 'Deployment')!.spec.template.spec.containers[0].args;
    assert.ok(!margs.includes('--leader-elect') && margs.includes('--metrics-bind-address=0'));
    assert.equal(find(minimal.objects, 'PodDisruptionBudget'), undefined);
    assert.equal(find(minimal.objects, 'Role'), undefined, 'no Lease Role without leader election');

    const fails = async (set: string[], message: RegExp) => {
      await assert.rejects(render({ set }), message, `--set ${set.join(' ')}`);
    };
    await fails(['metrics.serviceMonitor.enabled=true', 'metrics.podMonitor.enabled=true'], /serviceMonitor.enabled and metrics.podMonitor.enabled are mutually exclusive/);
    await fails(['controllers={job,hpa}'], /controllers/);
    await fails(['controllers={nfs-agent}'], /controllers/); // the agent runs in the nfs agent Deployments, not in the operator
    await fails(['replicaCount=2', 'leaderElection.enabled=false'], /replicaCount > 1 needs leaderElection.enabled=true/);
    await fails(['logging.format=xml'], /logging.format/);
    await fails(['nosuchvalue=1'], /nosuchvalue/);
  });

  test('metrics objects: ServiceMonitor or PodMonitor, PrometheusRule alerts, Grafana dashboard ConfigMap', async () => {
    const sm = await render({ namespace: 'ops', values: [join(CHART, 'ci/all-features-values.yaml')] });
    const monitor = find(sm.objects, 'ServiceMonitor')!;
    assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
    assert.deepEqual(monitor.spec.endpoints[0].port, 'metrics');
    assert.equal(find(sm.objects, 'PodMonitor'), undefined);
    assert.equal(find(sm.objects, 'Service')!.metadata.annotations?.['prometheus.io/scrape'], undefined, 'no double scraping');
    const rule = find(sm.objects, 'PrometheusRule')!;
    const alerts = rule.spec.groups[0].rules.map((r: any) => r.alert);
    assert.deepEqual(alerts, ['TentacleOperatorDown', 'TentacleReconcileErrors', 'TentacleWorkQueueBacklog', 'TentacleNoLeader']);
    const cm = find(sm.objects, 'ConfigMap', 'tentacle-dashboard')!;
    assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
    const dashboard = JSON.parse(cm.data['tentacle.json']);
    assert.deepEqual(dashboard, JSON.parse(readFileSync(join(CHART, 'dashboards/tentacle.json'), 'utf8')));
    const exprs = JSON.stringify(dashboard);
    for (const m of ['controller_runtime_reconcile_total', 'controller_runtime_reconcile_errors_total', 'controller_runtime_reconcile_time_seconds_bucket',
      'workqueue_depth', 'workqueue_adds_total', 'workqueue_queue_duration_seconds_bucket', 'workqueue_work_duration_seconds_bucket', 'rest_client_requests_total']) {
      assert.ok(exprs.includes(m), `dashboard shows ${m}`);
    }
    const pm = await render({ namespace: 'ops', values: [join(CHART, 'ci/podmonitor-values.yaml')] });
    assert.equal(find(pm.objects, 'PodMonitor')!.spec.podMetricsEndpoints[0].port, 'metrics');
    assert.equal(find(pm.objects, 'ServiceMonitor'), undefined);
    assert.match(find(pm.objects, 'Deployment')!.spec.template.spec.containers[0].image, /^tentacle@sha256:0{64}$/);
  });

  test('every CI rendering (CRDs and test hook included) is accepted by the API server (dry run)', async () => {
    for (const f of ciValuesFiles()) {
      const { text, objects } = await render({ namespace, values: [f] });
      const out = await kubectl(['apply', '--dry-run=server', '--server-side', '--force-conflicts', '--field-manager=chart-test', '-f', '-'], text);
      const accepted = out.trim().split('\n').filter(Boolean);
      assert.equal(accepted.length, objects.length, `${basename(f)}: every object accepted:\n${out}`);
      assert.ok(accepted.every((l) => /serverside-applied \(server dry run\)/.test(l)), out);
    }
  });

  test('hack scripts, and the scripts inside the images, are bash -n and shellcheck clean', async () => {
    const scripts = readdirSync(join(REPO, 'hack')).filter((f) => f.endsWith('.sh')).map((f) => `hack/${f}`);
    assert.ok(scripts.length >= 10, scripts.join(' '));
    scripts.push('hack/kind/runc-bounded', 'hack/images/kindnetd/kindnetd.sh', 'hack/images/mysql/docker-entrypoint.sh', 'hack/images/xtrabackup/xtrabackup');
    for (const script of scripts) {
      await run(readFileSync(join(REPO, script), 'utf8').startsWith('#!/bin/sh') ? 'sh' : 'bash', ['-n', script]);
      await run('shellcheck', ['-x', '--source-path=SCRIPTDIR', script]);
    }
    assert.match(readFileSync(join(REPO, 'hack/kind-e2e.sh'), 'utf8'), /kind load docker-image/);
  });
});
