// A real local control plane minus real kubelets: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok (simulated nodes and pods, see stages.yaml, and their kubelet resource metrics,
// see metrics.yaml) and metrics-server (metrics.k8s.io through the aggregation layer), each a detached
// process with its own process group, on free loopback ports, with everything under one state directory:
//
//   <dir>/kubeconfig                 admin (system:masters) kubeconfig
//   <dir>/cluster/state.json         ports, PIDs and command lines of the running components
//   <dir>/cluster/pki/               certificates (made once per directory)
//   <dir>/cluster/kubeconfigs/       one kubeconfig per component
//   <dir>/cluster/etcd/              etcd data (emptied on every start)
//   <dir>/cluster/logs/<name>.log    stdout + stderr of each component
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { httpCall, type TlsMaterial } from './http.ts';
import { ensurePki, pkiPaths, SERVICE_CLUSTER_IP_RANGE, writeKubeconfig, type Pki } from './pki.ts';
import { freePorts, isAlive, logTail, spawnDetached, stopProcess, type ProcessRecord } from './proc.ts';

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
  /** Directory with the binaries; default $TENTACLE_BIN_DIR or <repo>/bin. */
  binDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ControlPlane {
  readonly dir: string;
  /** Admin (system:masters) kubeconfig, <dir>/kubeconfig. */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** http://127.0.0.1:<port> */
  readonly etcdUrl: string;
  /** Kills every process it started (process group, SIGTERM then SIGKILL after 5 s) and waits for them. */
  stop(): Promise<void>;
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again with the same ports and flags; waits for /readyz. */
  startApiserver(): Promise<void>;
  restartApiserver(): Promise<void>;
  /** Compacts etcd at its current revision and returns that revision. */
  compactEtcd(): Promise<number>;
  /** PIDs of the components that are running, by name. */
  pids(): Record<string, number>;
}

export const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'metrics-server',
] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface Ports {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
  /** metrics-server's secure port (absent in the state of a control plane started before it existed). */
  metricsServer?: number;
}

/** Contents of <dir>/cluster/state.json. */
export interface ControlPlaneState {
  version: 1;
  dir: string;
  server: string;
  etcdUrl: string;
  kubeconfigPath: string;
  ports: Ports;
  nodes: number;
  dieWithParent: boolean;
  startedAt: string;
  /** startControlPlane finished (every component healthy, nodes Ready). */
  ready: boolean;
  components: Partial<Record<ComponentName, ProcessRecord>>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAGES_FILE = fileURLToPath(new URL('./stages.yaml', import.meta.url));
const METRICS_FILE = fileURLToPath(new URL('./metrics.yaml', import.meta.url));
export const NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/** Pod annotations (per container quantities) from which kwok reports CPU and memory usage (metrics.yaml). */
export const USAGE_CPU_ANNOTATION = 'kwok.x-k8s.io/usage-cpu';
export const USAGE_MEMORY_ANNOTATION = 'kwok.x-k8s.io/usage-memory';
/** The APIService metrics-server serves, and its Service (kube-system). */
export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io';
const METRICS_SERVICE = 'metrics-server';
/**
 * metrics-server's minimum; it scrapes every kubelet (kwok) once per resolution and reports the CPU
 * rate between its last two scrapes.
 */
export const METRIC_RESOLUTION_SECONDS = 10;
const POD_CIDR = '10.244.0.0/16';

export function clusterDir(dir: string): string {
  return join(resolve(dir), 'cluster');
}
export function statePath(dir: string): string {
  return join(clusterDir(dir), 'state.json');
}

export function readState(dir: string): ControlPlaneState | undefined {
  const path = statePath(dir);
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as ControlPlaneState;
  if (state.version !== 1) throw new Error(`${path}: unknown state version ${String(state.version)}`);
  return state;
}

/** Liveness of each component recorded in state.json. */
export function componentStatus(state: ControlPlaneState): { name: ComponentName; pid: number; alive: boolean }[] {
  return COMPONENTS.flatMap((name) => {
    const rec = state.components[name];
    return rec ? [{ name, pid: rec.pid, alive: isAlive(rec.pid, rec.bin) }] : [];
  });
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

function binary(binDir: string, name: string): string {
  const path = join(binDir, name);
  if (!existsSync(path)) {
    throw new Error(`${path} not found: run hack/tools.sh control-plane first (or set TENTACLE_BIN_DIR)`);
  }
  return realpathSync(path);
}

/** Every component this process started with dieWithParent, killed if the process exits without stop(). */
const liveWithParent = new Set<LocalControlPlane>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cp of liveWithParent) cp.killNow();
  });
}

class StartError extends Error {}

class LocalControlPlane implements ControlPlane {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly etcdUrl: string;
  readonly #state: ControlPlaneState;
  readonly #pki: Pki;
  readonly #log: (line: string) => void;
  readonly #tls: TlsMaterial;
  /** Handles of the processes this object spawned, to wait until they are reaped. */
  readonly #children = new Map<ComponentName, ChildProcess>();

  /** `owned`: started by this process (so it dies with it when dieWithParent), not attached to. */
  constructor(state: ControlPlaneState, log: (line: string) => void, owned: boolean) {
    this.#state = state;
    this.dir = state.dir;
    this.kubeconfigPath = state.kubeconfigPath;
    this.server = state.server;
    this.etcdUrl = state.etcdUrl;
    this.#pki = pkiPaths(join(clusterDir(state.dir), 'pki'));
    this.#log = log;
    this.#tls = {
      ca: readFileSync(this.#pki.caCert),
      cert: readFileSync(this.#pki.adminCert),
      key: readFileSync(this.#pki.adminKey),
    };
    if (owned && state.dieWithParent) {
      installExitHook();
      liveWithParent.add(this);
    }
  }

  save(): void {
    const path = statePath(this.dir);
    writeFileSync(path + '.tmp', JSON.stringify(this.#state, null, 2) + '\n');
    renameSync(path + '.tmp', path);
  }

  /** Starts component `name` and records it in state.json. */
  spawn(name: ComponentName, bin: string, args: string[]): ProcessRecord {
    const log = join(clusterDir(this.dir), 'logs', `${name}.log`);
    writeFileSync(log, `--- ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`, { flag: 'a' });
    const { record, child } = spawnDetached({
      bin,
      args,
      log,
      dieWithParent: this.#state.dieWithParent,
      // Components get explicit flags; a stray KUBECONFIG or proxy from the caller must not leak in.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TZ: 'UTC' },
    });
    this.#state.components[name] = record;
    this.#children.set(name, child);
    this.save();
    return record;
  }

  /** Polls `check` until it returns true; fails fast with the log tail when the component exits. */
  async waitFor(
    name: ComponentName | undefined,
    what: string,
    timeoutMs: number,
    check: () => Promise<boolean>,
  ): Promise<void> {
    const start = performance.now();
    let lastError: string | undefined;
    let nextProgress = 10_000;
    for (;;) {
      const rec = name ? this.#state.components[name] : undefined;
      // A child we spawned knows its own exit; /proc only serves for components we attached to.
      const child = name ? this.#children.get(name) : undefined;
      const exited = child ? child.exitCode !== null || child.signalCode !== null : rec && !isAlive(rec.pid, rec.bin);
      if (rec && exited) {
        const how = child ? ` (exit code ${child.exitCode}, signal ${child.signalCode})` : '';
        throw new StartError(
          `${name} exited${how} while waiting for ${what}; last lines of ${rec.log}:\n${logTail(rec.log)}`,
        );
      }
      try {
        if (await check()) return;
        lastError = '';
      } catch (err) {
        lastError = (err as Error).message;
      }
      const elapsed = performance.now() - start;
      if (elapsed > timeoutMs) {
        const tail = rec ? `\nlast lines of ${rec.log}:\n${logTail(rec.log)}` : '';
        throw new StartError(
          `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (${lastError})` : ''}${tail}`,
        );
      }
      if (elapsed > nextProgress) {
        this.#log(`  still waiting for ${what} (${seconds(start)})${lastError ? `: ${lastError}` : ''}`);
        nextProgress += 10_000;
      }
      await sleep(elapsed < 2000 ? 100 : 250);
    }
  }

  /** An API request as the admin user. */
  async api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await httpCall(this.server + path, { method, body, tls: this.#tls, timeoutMs: 10_000 });
    let json: any;
    try {
      json = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      json = res.body;
    }
    return { status: res.status, json };
  }

  async apiserverReady(): Promise<boolean> {
    const res = await httpCall(`${this.server}/readyz`, { tls: this.#tls, timeoutMs: 3000 });
    if (res.status !== 200) throw new Error(`/readyz ${res.status}: ${res.body.trim().split('\n').slice(-3).join(' ')}`);
    return true;
  }

  async startApiserverWith(bin: string, args: string[]): Promise<void> {
    const rec = this.#state.components['kube-apiserver'];
    if (rec && isAlive(rec.pid, rec.bin)) throw new Error(`kube-apiserver is already running (pid ${rec.pid})`);
    const start = performance.now();
    this.spawn('kube-apiserver', bin, args);
    await this.waitFor('kube-apiserver', 'kube-apiserver /readyz', 90_000, () => this.apiserverReady());
    this.#log(`kube-apiserver ready (${seconds(start)})`);
  }

  async startApiserver(): Promise<void> {
    const rec = this.#state.components['kube-apiserver'];
    if (!rec) throw new Error('kube-apiserver was never started');
    await this.startApiserverWith(rec.bin, rec.args);
  }

  async stopApiserver(): Promise<void> {
    const rec = this.#state.components['kube-apiserver'];
    if (!rec) return;
    await stopProcess(rec, 5000, this.#children.get('kube-apiserver'));
    // Keep the record (bin, args) for startApiserver; the PID is dead now.
  }

  async restartApiserver(): Promise<void> {
    await this.stopApiserver();
    await this.startApiserver();
  }

  async compactEtcd(): Promise<number> {
    const range = await httpCall(`${this.etcdUrl}/v3/kv/range`, {
      method: 'POST',
      body: { key: Buffer.from('/').toString('base64'), limit: 1 },
    });
    if (range.status !== 200) throw new Error(`etcd range: ${range.status} ${range.body}`);
    const revision = Number((JSON.parse(range.body) as { header?: { revision?: string } }).header?.revision);
    if (!Number.isSafeInteger(revision) || revision <= 0) throw new Error(`etcd range: no revision in ${range.body}`);
    const compact = await httpCall(`${this.etcdUrl}/v3/kv/compaction`, {
      method: 'POST',
      body: { revision: String(revision), physical: true },
      timeoutMs: 60_000,
    });
    if (compact.status !== 200) throw new Error(`etcd compaction at ${revision}: ${compact.status} ${compact.body}`);
    return revision;
  }

  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of COMPONENTS) {
      const rec = this.#state.components[name];
      if (rec && isAlive(rec.pid, rec.bin)) out[name] = rec.pid;
    }
    return out;
  }

  async stop(): Promise<void> {
    // Clients first, then the API server, then etcd: an API server whose etcd vanished under it
    // lingers in its graceful shutdown until SIGKILL, while in this order the whole stop takes ~1 s.
    const waves: ComponentName[][] = [
      ['metrics-server', 'kwok', 'kube-scheduler', 'kube-controller-manager'],
      ['kube-apiserver'],
      ['etcd'],
    ];
    const results: PromiseSettledResult<void>[] = [];
    for (const wave of waves) {
      const names = wave.filter((name) => this.#state.components[name]);
      results.push(
        ...(await Promise.allSettled(
          names.map((name) => stopProcess(this.#state.components[name]!, 5000, this.#children.get(name))),
        )),
      );
    }
    this.#children.clear();
    liveWithParent.delete(this);
    this.#state.components = {};
    this.#state.ready = false;
    if (existsSync(clusterDir(this.dir))) this.save();
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    if (failed.length) throw new Error(`stopping the control plane: ${failed.join('; ')}`);
  }

  /** Synchronous last resort from process.on('exit'). */
  killNow(): void {
    for (const rec of Object.values(this.#state.components)) {
      if (!rec || !isAlive(rec.pid, rec.bin)) continue;
      try {
        process.kill(-rec.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

function nodeObject(name: string): unknown {
  const resources = { cpu: '64', memory: '256Gi', pods: '1000' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: {
        [NODE_ANNOTATION]: 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        // Where metrics-server scrapes this node's resource metrics: kwok's Metric (metrics.yaml).
        'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${name}/metrics/resource`,
      },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
    // Nodes may carry status on create (as a kubelet registers). InternalIP 127.0.0.1 and kwok's
    // port as the kubelet port let the API server and metrics-server reach kwok's kubelet endpoints.
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
    },
  };
}

function isReadyUntainted(node: any, requireUntainted: boolean): boolean {
  const ready = (node?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
  const taints = (node?.spec?.taints ?? []) as { key: string }[];
  return ready && (!requireUntainted || !taints.some((t) => t.key.startsWith('node.kubernetes.io/')));
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
  const binDir = resolve(opts.binDir ?? process.env.TENTACLE_BIN_DIR ?? join(REPO_ROOT, 'bin'));
  const cdir = clusterDir(dir);

  const previous = readState(dir);
  if (previous) {
    const alive = componentStatus(previous).filter((c) => c.alive);
    if (alive.length) {
      throw new Error(
        `a control plane is already running in ${dir} (${alive.map((c) => `${c.name} pid ${c.pid}`).join(', ')}); stop it first`,
      );
    }
  }

  if (dieWithParent && spawnSync('setpriv', ['--version']).status !== 0) {
    throw new Error('setpriv (util-linux) is needed for dieWithParent: run hack/system-deps.sh');
  }
  const bins = {
    etcd: binary(binDir, 'etcd'),
    apiserver: binary(binDir, 'kube-apiserver'),
    kcm: withKcm ? binary(binDir, 'kube-controller-manager') : '',
    scheduler: withScheduler ? binary(binDir, 'kube-scheduler') : '',
    kwok: withKwok ? binary(binDir, 'kwok') : '',
    metricsServer: withMetricsServer ? binary(binDir, 'metrics-server') : '',
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

  const kubeconfigs = {
    kcm: join(cdir, 'kubeconfigs', 'kube-controller-manager.kubeconfig'),
    scheduler: join(cdir, 'kubeconfigs', 'kube-scheduler.kubeconfig'),
    kwok: join(cdir, 'kubeconfigs', 'kwok.kubeconfig'),
    metricsServer: join(cdir, 'kubeconfigs', 'metrics-server.kubeconfig'),
  };
  const kc = (path: string, user: string, clientCert: string, clientKey: string) =>
    writeKubeconfig(path, { server, caCert: pki.caCert, clientCert, clientKey, user });
  kc(kubeconfigPath, 'kubernetes-admin', pki.adminCert, pki.adminKey);
  kc(kubeconfigs.kcm, 'system:kube-controller-manager', pki.controllerManagerCert, pki.controllerManagerKey);
  kc(kubeconfigs.scheduler, 'system:kube-scheduler', pki.schedulerCert, pki.schedulerKey);
  kc(kubeconfigs.kwok, 'kwok-controller', pki.kwokCert, pki.kwokKey);
  kc(kubeconfigs.metricsServer, 'metrics-server', pki.metricsServerCert, pki.metricsServerKey);

  const cp = new LocalControlPlane(state, log, true);
  cp.save();

  try {
    // etcd
    t = performance.now();
    const peer = `http://127.0.0.1:${etcdPeerPort}`;
    cp.spawn('etcd', bins.etcd, [
      '--name=tentacle',
      `--data-dir=${join(cdir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=tentacle=${peer}`,
      '--initial-cluster-state=new',
      `--quota-backend-bytes=${8 * 1024 ** 3}`,
      // A throwaway dev/test cluster: losing data on a machine crash is fine, fsync latency is not.
      '--unsafe-no-fsync',
      '--snapshot-count=100000',
      '--log-level=warn',
    ]);
    await cp.waitFor('etcd', 'etcd /health', 30_000, async () => {
      const res = await httpCall(`${etcdUrl}/health`, { timeoutMs: 2000 });
      return res.status === 200 && res.body.includes('"true"');
    });
    log(`etcd ready on ${etcdUrl} (${seconds(t)})`);

    // kube-apiserver
    await cp.startApiserverWith(bins.apiserver, [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserverPort}`,
      `--etcd-servers=${etcdUrl}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--allow-privileged=true',
      // Aggregation layer.
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
      `--proxy-client-key-file=${pki.frontProxyClientKey}`,
      // Aggregated API servers (metrics-server, test adapters) run as local processes on 127.0.0.1.
      // Without kube-proxy a ClusterIP leads nowhere, and routing to endpoints
      // (--enable-aggregator-routing=true) cannot work either: EndpointSlices and Endpoints may not
      // hold loopback addresses. So their Services are ExternalName 127.0.0.1 and the APIService names
      // the port (as kwokctl does), which the aggregator resolves only with routing off.
      '--enable-aggregator-routing=false',
      // The only address is loopback, which Endpoints may not contain.
      '--endpoint-reconciler-type=none',
      // "Kubelets" are kwok's server, whose certificate this CA signed.
      `--kubelet-certificate-authority=${pki.caCert}`,
      ...(opts.apiserverArgs ?? []),
    ]);

    // The rest in parallel.
    const tasks: Promise<void>[] = [];
    const component = (name: ComponentName, bin: string, args: string[], port: number) => {
      const start = performance.now();
      cp.spawn(name, bin, args);
      tasks.push(
        cp
          .waitFor(name, `${name} /healthz`, 60_000, async () => {
            const res = await httpCall(`https://127.0.0.1:${port}/healthz`, { tls: { insecure: true }, timeoutMs: 2000 });
            return res.status === 200;
          })
          .then(() => log(`${name} ready (${seconds(start)})`)),
      );
    };
    if (withKcm) {
      component(
        'kube-controller-manager',
        bins.kcm,
        [
          `--kubeconfig=${kubeconfigs.kcm}`,
          `--authentication-kubeconfig=${kubeconfigs.kcm}`,
          `--authorization-kubeconfig=${kubeconfigs.kcm}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${kcmPort}`,
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--root-ca-file=${pki.caCert}`,
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          '--leader-elect=false',
          // Client-side limits well above the defaults (20/30): with per-controller credentials the
          // default alone stretches start-up by ~5 s. Benchmarks pass their own (later flags win).
          '--kube-api-qps=200',
          '--kube-api-burst=400',
          ...(opts.controllerManagerArgs ?? []),
        ],
        kcmPort,
      );
    }
    if (withScheduler) {
      component(
        'kube-scheduler',
        bins.scheduler,
        [
          `--kubeconfig=${kubeconfigs.scheduler}`,
          `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
          `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${schedulerPort}`,
          '--leader-elect=false',
          // Scheduling must not be what a benchmark measures (defaults: 50/100).
          '--kube-api-qps=500',
          '--kube-api-burst=1000',
          ...(opts.schedulerArgs ?? []),
        ],
        schedulerPort,
      );
    }
    if (withKwok) {
      component(
        'kwok',
        bins.kwok,
        [
          `--kubeconfig=${kubeconfigs.kwok}`,
          `--config=${STAGES_FILE}`,
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=${NODE_ANNOTATION}=fake`,
          // kwok renews a Lease per node, so the node lifecycle controller never sees them go stale.
          '--node-lease-duration-seconds=40',
          `--cidr=${POD_CIDR}`,
          '--node-ip=127.0.0.1',
          `--node-port=${kwokPort}`,
          `--server-address=127.0.0.1:${kwokPort}`,
          `--tls-cert-file=${pki.kwokServingCert}`,
          `--tls-private-key-file=${pki.kwokServingKey}`,
          ...(withMetricsServer ? [`--config=${METRICS_FILE}`] : []),
          ...(opts.kwokArgs ?? []),
        ],
        kwokPort,
      );
      const names = Array.from({ length: nodes }, (_, i) => `kwok-node-${i}`);
      tasks.push(
        (async () => {
          for (const name of names) {
            const res = await cp.api('POST', '/api/v1/nodes', nodeObject(name));
            if (res.status !== 201 && res.status !== 409) {
              throw new StartError(`creating node ${name}: ${res.status} ${JSON.stringify(res.json)}`);
            }
          }
          const start = performance.now();
          await cp.waitFor('kwok', `${nodes} Ready nodes`, 60_000, async () => {
            const res = await cp.api('GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
            const items = (res.json?.items ?? []) as any[];
            return names.every((n) => isReadyUntainted(items.find((i) => i.metadata?.name === n), withKcm));
          });
          log(`${nodes} kwok nodes Ready (${seconds(start)})`);
        })(),
      );
    }
    if (withMetricsServer) {
      const start = performance.now();
      cp.spawn('metrics-server', bins.metricsServer, [
        `--kubeconfig=${kubeconfigs.metricsServer}`,
        `--authentication-kubeconfig=${kubeconfigs.metricsServer}`,
        `--authorization-kubeconfig=${kubeconfigs.metricsServer}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${metricsServerPort}`,
        `--tls-cert-file=${pki.metricsServerServingCert}`,
        `--tls-private-key-file=${pki.metricsServerServingKey}`,
        // "Kubelets" are kwok's server at the node's InternalIP and status port, with a certificate of this CA.
        `--kubelet-certificate-authority=${pki.caCert}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--kubelet-use-node-status-port',
        `--metric-resolution=${METRIC_RESOLUTION_SECONDS}s`,
        // Must stay below 90% of the resolution.
        '--kubelet-request-timeout=5s',
      ]);
      tasks.push(
        (async () => {
          await cp.waitFor('metrics-server', 'metrics-server /livez', 60_000, async () => {
            const res = await httpCall(`https://127.0.0.1:${metricsServerPort}/livez`, {
              tls: { insecure: true },
              timeoutMs: 2000,
            });
            return res.status === 200;
          });
          await registerAggregatedApi(cp, {
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
          log(`metrics-server ready, ${METRICS_APISERVICE} Available (${seconds(start)})`);
        })(),
      );
    }
    if (withKcm) {
      tasks.push(
        (async () => {
          const start = performance.now();
          await cp.waitFor('kube-controller-manager', 'ServiceAccount default/default', 60_000, async () => {
            const res = await cp.api('GET', '/api/v1/namespaces/default/serviceaccounts/default');
            return res.status === 200;
          });
          log(`ServiceAccount default/default exists (${seconds(start)})`);
        })(),
      );
    }
    const results = await Promise.allSettled(tasks);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (failures[0]) throw failures[0];

    state.ready = true;
    cp.save();
    log(`control plane ready in ${seconds(t0)}: ${server}, kubeconfig ${kubeconfigPath}`);
    return cp;
  } catch (err) {
    log(`start failed; stopping what was started`);
    await cp.stop().catch(() => {});
    throw err;
  }
}

/** Available condition of an APIService object. */
export function apiServiceAvailable(apiService: any): { ok: boolean; message: string } {
  const cond = (apiService?.status?.conditions ?? []).find((c: any) => c.type === 'Available');
  return {
    ok: cond?.status === 'True',
    message: cond ? `Available=${cond.status} ${cond.reason ?? ''}: ${cond.message ?? ''}` : 'no Available condition yet',
  };
}

/**
 * Registers an aggregated API server listening on 127.0.0.1:`port`: an ExternalName Service (see
 * --enable-aggregator-routing above) and one APIService per group/version, verified against
 * `caBundle`. Replaces objects of the same names.
 */
async function registerAggregatedApi(
  cp: LocalControlPlane,
  opts: {
    service: { namespace: string; name: string };
    port: number;
    apiServices: { group: string; version: string }[];
    caBundle: Buffer;
  },
): Promise<void> {
  const { namespace, name } = opts.service;
  const put = async (path: string, collection: string, obj: any) => {
    const res = await cp.api('POST', collection, obj);
    if (res.status === 201) return;
    if (res.status === 409) {
      const current = await cp.api('GET', path);
      obj.metadata.resourceVersion = current.json?.metadata?.resourceVersion;
      const upd = await cp.api('PUT', path, obj);
      if (upd.status === 200) return;
      throw new StartError(`updating ${path}: ${upd.status} ${JSON.stringify(upd.json)}`);
    }
    throw new StartError(`creating ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  };
  await put(`/api/v1/namespaces/${namespace}/services/${name}`, `/api/v1/namespaces/${namespace}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'tentacle-control-plane' } },
    spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https', port: opts.port }] },
  });
  for (const { group, version } of opts.apiServices) {
    const apiName = `${version}.${group}`;
    await put(`/apis/apiregistration.k8s.io/v1/apiservices/${apiName}`, '/apis/apiregistration.k8s.io/v1/apiservices', {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: apiName, labels: { 'app.kubernetes.io/managed-by': 'tentacle-control-plane' } },
      spec: {
        group,
        version,
        service: { namespace, name, port: opts.port },
        caBundle: opts.caBundle.toString('base64'),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
  }
}

/** A handle on the control plane recorded in <dir>/cluster/state.json (e.g. for the CLI's down). */
export async function attachControlPlane(dir: string, log?: (line: string) => void): Promise<ControlPlane> {
  const state = readState(dir);
  if (!state) throw new Error(`no control plane state in ${statePath(dir)}`);
  return new LocalControlPlane(state, log ?? (() => {}), false);
}

/** An admin API request against a control plane's state (used by the CLI's status). */
export async function adminRequest(
  state: ControlPlaneState,
  path: string,
): Promise<{ status: number; json: any }> {
  const pki = pkiPaths(join(clusterDir(state.dir), 'pki'));
  const res = await httpCall(state.server + path, {
    tls: { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) },
    timeoutMs: 5000,
  });
  let json: any;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = res.body;
  }
  return { status: res.status, json };
}
