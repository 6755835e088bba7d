// Starting a local control plane, or attaching to one another process started. Each component's flags
// and readiness live in its own module; this file only orders them:
//
//   <dir>/kubeconfig                 admin (system:masters) kubeconfig
//   <dir>/cluster/state.json         ports, PIDs and command lines of the running components
//   <dir>/cluster/pki/               certificates (made once per directory)
//   <dir>/cluster/kubeconfigs/       one kubeconfig per component
//   <dir>/cluster/etcd/              etcd data (emptied on every start)
//   <dir>/cluster/logs/<name>.log    stdout + stderr of each component
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { registerAggregatedApi, apiServiceAvailable } from './aggregation.ts';
import { apiserverArgs } from './apiserver.ts';
import { findBinary } from './binaries.ts';
import { controllerManagerArgs } from './controller-manager.ts';
import { etcdArgs, etcdHealthy } from './etcd.ts';
import { healthy } from './http.ts';
import { kwokArgs, kwokNode, kwokNodeName, nodeReady } from './kwok.ts';
import { LocalControlPlane, seconds, StartError, type ControlPlane } from './local.ts';
import { METRICS_APISERVICE, METRICS_SERVICE, metricsServerArgs } from './metrics-server.ts';
import { ensurePki, writeKubeconfig } from './pki.ts';
import { freePorts } from './process.ts';
import { schedulerArgs } from './scheduler.ts';
import { clusterDir, componentStatus, readState, statePath, type ComponentName, type ControlPlaneState } from './state.ts';

export interface ControlPlaneOptions {
  /** State directory; everything goes under it (certs, etcd data, logs, state.json, kubeconfig). */
  dir: string;
  /** Simulated kwok nodes, default 3. */
  nodes?: number;
  /** Run kwok (simulated nodes and pods), default true. */
  kwok?: boolean;
  /** Run kube-controller-manager, default true. */
  controllerManager?: boolean;
  /** Run kube-scheduler, default true. */
  scheduler?: boolean;
  /**
   * Run metrics-server behind the APIService v1beta1.metrics.k8s.io (`kubectl top`, resource metrics
   * for autoscaling), scraping kwok's simulated kubelet resource metrics. Default true; needs kwok.
   */
  metricsServer?: boolean;
  /**
   * Extra kube-controller-manager flags, after the defaults (which include --kube-api-qps=200
   * --kube-api-burst=400), e.g. ['--kube-api-qps=50', '--kube-api-burst=100'] for benchmarks.
   */
  controllerManagerArgs?: string[];
  /** Extra kube-apiserver flags. */
  apiserverArgs?: string[];
  /** Extra kube-scheduler flags, after the defaults (which include --kube-api-qps=500 --kube-api-burst=1000). */
  schedulerArgs?: string[];
  /** Extra kwok flags (e.g. another `--config=<file>` with Metric or Stage objects). */
  kwokArgs?: string[];
  /**
   * Components die with the process that started them (`setpriv --pdeathsig KILL`), even when it
   * is SIGKILLed. Default true; the CLI's `up`, which leaves the cluster running, passes false.
   */
  dieWithParent?: boolean;
  /** The only directory to take the binaries from; default $TENTACLE_BIN_DIR, else found as binaries.ts says. */
  binDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Starts a control plane in `opts.dir` and resolves when it is ready to use. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir);
  const nodes = opts.nodes ?? 3;
  const withKwok = opts.kwok ?? true;
  const withKcm = opts.controllerManager ?? true;
  const withScheduler = opts.scheduler ?? true;
  const withMetricsServer = withKwok && (opts.metricsServer ?? true);
  const dieWithParent = opts.dieWithParent ?? true;
  const cdir = clusterDir(dir);

  refuseIfRunning(dir);
  if (dieWithParent && spawnSync('setpriv', ['--version']).status !== 0) {
    throw new Error('setpriv (util-linux) is needed for dieWithParent: install util-linux');
  }
  const bin = (name: string, wanted = true) => (wanted ? findBinary(name, opts.binDir) : '');
  const bins = {
    etcd: bin('etcd'),
    apiserver: bin('kube-apiserver'),
    kcm: bin('kube-controller-manager', withKcm),
    scheduler: bin('kube-scheduler', withScheduler),
    kwok: bin('kwok', withKwok),
    metricsServer: bin('metrics-server', withMetricsServer),
  };

  for (const sub of ['logs', 'kubeconfigs']) mkdirSync(join(cdir, sub), { recursive: true });
  // Every start begins with an empty etcd: a dev or test cluster never inherits objects.
  rmSync(join(cdir, 'etcd'), { recursive: true, force: true });

  let t = performance.now();
  const { pki, created } = await ensurePki(join(cdir, 'pki'));
  log(created ? `certificates created in ${join(cdir, 'pki')} (${seconds(t)})` : 'certificates reused');

  const [etcdPort, etcdPeerPort, apiserverPort, kcmPort, schedulerPort, kwokPort, metricsServerPort] =
    (await freePorts(7)) as [number, number, number, number, number, number, number];
  const server = `https://127.0.0.1:${apiserverPort}`;
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  const state: ControlPlaneState = {
    version: 1,
    dir,
    server,
    etcdUrl,
    kubeconfigPath,
    ports: {
      etcd: etcdPort,
      etcdPeer: etcdPeerPort,
      apiserver: apiserverPort,
      controllerManager: kcmPort,
      scheduler: schedulerPort,
      kwok: kwokPort,
      ...(withMetricsServer ? { metricsServer: metricsServerPort } : {}),
    },
    nodes: withKwok ? nodes : 0,
    dieWithParent,
    startedAt: new Date().toISOString(),
    ready: false,
    components: {},
  };

  const kubeconfig = (component: string, user: string, clientCert: string, clientKey: string) => {
    const path = join(cdir, 'kubeconfigs', `${component}.kubeconfig`);
    writeKubeconfig(path, { server, caCert: pki.caCert, clientCert, clientKey, user });
    return path;
  };
  writeKubeconfig(kubeconfigPath, {
    server,
    caCert: pki.caCert,
    clientCert: pki.adminCert,
    clientKey: pki.adminKey,
    user: 'kubernetes-admin',
  });
  const kubeconfigs = {
    kcm: kubeconfig('kube-controller-manager', 'system:kube-controller-manager', pki.controllerManagerCert, pki.controllerManagerKey),
    scheduler: kubeconfig('kube-scheduler', 'system:kube-scheduler', pki.schedulerCert, pki.schedulerKey),
    kwok: kubeconfig('kwok', 'kwok-controller', pki.kwokCert, pki.kwokKey),
    metricsServer: kubeconfig('metrics-server', 'metrics-server', pki.metricsServerCert, pki.metricsServerKey),
  };

  const cp = new LocalControlPlane(state, log, true);
  cp.save();

  try {
    t = performance.now();
    cp.spawn('etcd', bins.etcd, etcdArgs({ dataDir: join(cdir, 'etcd'), clientUrl: etcdUrl, peerUrl: `http://127.0.0.1:${etcdPeerPort}` }));
    await cp.waitFor('etcd', 'etcd /health', 30_000, () => etcdHealthy(etcdUrl));
    log(`etcd ready on ${etcdUrl} (${seconds(t)})`);

    await cp.startApiserverWith(bins.apiserver, [
      ...apiserverArgs({ port: apiserverPort, etcdUrl, pki }),
      ...(opts.apiserverArgs ?? []),
    ]);

    // The rest in parallel.
    const tasks: Promise<void>[] = [];
    const step = (what: string, run: () => Promise<void>) => {
      const start = performance.now();
      tasks.push(run().then(() => log(`${what} (${seconds(start)})`)));
    };
    const component = (name: ComponentName, binPath: string, args: string[], port: number) => {
      cp.spawn(name, binPath, args);
      step(`${name} ready`, () => cp.waitFor(name, `${name} /healthz`, 60_000, () => healthy(port, '/healthz')));
    };
    if (withKcm) {
      const args = controllerManagerArgs({ kubeconfig: kubeconfigs.kcm, port: kcmPort, pki });
      component('kube-controller-manager', bins.kcm, [...args, ...(opts.controllerManagerArgs ?? [])], kcmPort);
      step('ServiceAccount default/default exists', () =>
        cp.waitFor('kube-controller-manager', 'ServiceAccount default/default', 60_000, async () => {
          const res = await cp.api('GET', '/api/v1/namespaces/default/serviceaccounts/default');
          return res.status === 200;
        }),
      );
    }
    if (withScheduler) {
      const args = schedulerArgs({ kubeconfig: kubeconfigs.scheduler, port: schedulerPort });
      component('kube-scheduler', bins.scheduler, [...args, ...(opts.schedulerArgs ?? [])], schedulerPort);
    }
    if (withKwok) {
      const args = kwokArgs({ kubeconfig: kubeconfigs.kwok, port: kwokPort, pki, metrics: withMetricsServer });
      component('kwok', bins.kwok, [...args, ...(opts.kwokArgs ?? [])], kwokPort);
      step(`${nodes} kwok nodes Ready`, () => createKwokNodes(cp, nodes, withKcm));
    }
    if (withMetricsServer) {
      cp.spawn('metrics-server', bins.metricsServer, metricsServerArgs({ kubeconfig: kubeconfigs.metricsServer, port: metricsServerPort, pki }));
      step(`metrics-server ready, ${METRICS_APISERVICE} Available`, async () => {
        await cp.waitFor('metrics-server', 'metrics-server /livez', 60_000, () => healthy(metricsServerPort, '/livez'));
        await registerAggregatedApi(cp.api, {
          service: { namespace: 'kube-system', name: METRICS_SERVICE },
          port: metricsServerPort,
          apiServices: [{ group: 'metrics.k8s.io', version: 'v1beta1' }],
          caBundle: readFileSync(pki.caCert),
        });
        await cp.waitFor('metrics-server', `APIService ${METRICS_APISERVICE} Available`, 60_000, async () => {
          const res = await cp.api('GET', `/apis/apiregistration.k8s.io/v1/apiservices/${METRICS_APISERVICE}`);
          const available = apiServiceAvailable(res.json);
          if (!available.ok) throw new Error(available.message);
          return true;
        });
      });
    }
    const results = await Promise.allSettled(tasks);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (failures[0]) throw failures[0];

    cp.markReady();
    log(`control plane ready in ${seconds(t0)}: ${server}, kubeconfig ${kubeconfigPath}`);
    return cp;
  } catch (err) {
    log(`start failed; stopping what was started`);
    await cp.stop().catch(() => {});
    throw err;
  }
}

function refuseIfRunning(dir: string): void {
  const previous = readState(dir);
  const alive = previous ? componentStatus(previous).filter((c) => c.alive) : [];
  if (alive.length) {
    throw new Error(
      `a control plane is already running in ${dir} (${alive.map((c) => `${c.name} pid ${c.pid}`).join(', ')}); stop it first`,
    );
  }
}

async function createKwokNodes(cp: LocalControlPlane, count: number, requireUntainted: boolean): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => kwokNodeName(i));
  for (const name of names) {
    const res = await cp.api('POST', '/api/v1/nodes', kwokNode(name));
    if (res.status !== 201 && res.status !== 409) {
      throw new StartError(`creating node ${name}: ${res.status} ${JSON.stringify(res.json)}`);
    }
  }
  await cp.waitFor('kwok', `${count} Ready nodes`, 60_000, async () => {
    const res = await cp.api('GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
    const items = (res.json?.items ?? []) as any[];
    return names.every((n) => nodeReady(items.find((i) => i.metadata?.name === n), requireUntainted));
  });
}

/** A handle on the control plane recorded in <dir>/cluster/state.json (e.g. for the CLI's down). */
export async function attachControlPlane(dir: string, log?: (line: string) => void): Promise<ControlPlane> {
  const state = readState(dir);
  if (!state) throw new Error(`no control plane state in ${statePath(dir)}`);
  return new LocalControlPlane(state, log ?? (() => {}), false);
}

/** An admin API request against a control plane's state (used by the CLI's status). */
export async function adminRequest(state: ControlPlaneState, path: string): Promise<{ status: number; json: any }> {
  return new LocalControlPlane(state, () => {}, false).api('GET', path, undefined, 5000);
}
