// One real node joined to the local control plane: an image registry (the node's only image source), containerd
// + runc + the CNI bridge from Debian, kubelet and kube-proxy built from the pinned Kubernetes module, and
// CoreDNS (cluster DNS) — each a detached process recorded in <dir>/cluster/node.json and stopped by PID —
// and beside it a real NFS server (nfs-server.ts) exporting <dir>/nfs/export, whose SERVER:PATH is written
// to <dir>/nfs/server. The kubelet mounts NFS volumes through the machine's NFS client where the kernel has
// one, and through tentacle-nfs-fuse (hack/nfs-fuse) where it has not: its `mount` is a wrapper
// (kubeletMountWrapper) first on its PATH, so nothing on the machine is replaced.
//
// What it changes on the host, and how each change is undone by stopRealNode:
//   processes          registry, containerd (and its shims), kubelet, kube-proxy, coredns: stopped by PID;
//                      the NFS server (nfs-server.ts); FUSE NFS clients of the kubelet's mounts: killed
//   pod sandboxes      removed through the CRI (crictl stopp/rmp: CNI DEL, network namespaces, shm mounts)
//   mounts             any left under the kubelet's root or containerd's state: unmounted, deepest first
//   network devices    the CNI bridge `tentacle0` (veths go with their network namespaces), the NFS
//                      server's veth: deleted
//   iptables           kube-proxy's rules (kube-proxy --cleanup), then every KUBE-* and CNI-* chain that was not
//                      there before the start (the kubelet's, the CNI plugins') with the jumps to it; the rule
//                      set is then compared with the one saved before the start
//   sysctls            every one the node's components set: restored to the values saved before the start
//   cgroups            the kubelet's kubepods hierarchy: removed
//
// Facts of the machines it was built on that shape it: no CAP_SYS_RESOURCE (containerd
// restrict_oom_score_adj, kubelet and kube-proxy oomScoreAdj 0), cgroup v1 (failCgroupV1: false,
// cgroupfs), no registry reachable (every image comes from the local registry, which mirrors docker.io and
// registry.k8s.io), a FORWARD policy that may be DROP (the CNI firewall plugin).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpCall } from '../../src/testing/control-plane/http.ts';
import { issue, pkiPaths, writeKubeconfig } from '../../src/testing/control-plane/pki.ts';
import { freePorts, isAlive, logTail, spawnDetached, stopProcess, type ProcessRecord } from '../../src/testing/control-plane/process.ts';
import {
  iptablesRules,
  mountsUnder,
  processesMentioning,
  readSysctl,
  removeCgroups,
  removeChains,
  run,
  writeSysctl,
} from './host.ts';
import {
  BRIDGE,
  cniConfig,
  CONTAINERD_SOCKET,
  containerdConfig,
  corefile,
  kubeletConfig,
  kubeletMountWrapper,
  kubeProxyConfig,
  RUN_DIR,
} from './node-config.ts';
import { startGanesha, startNfsServer, stopGanesha, stopNfsServer, type NfsServerState } from './nfs-server.ts';

/** The node's components, in start order (stopped in reverse). */
export const NODE_COMPONENTS = ['registry', 'containerd', 'kubelet', 'kube-proxy', 'coredns'] as const;
export type NodeComponent = (typeof NODE_COMPONENTS)[number];

/** Label on the real node, so tests can tell it from kwok's. */
export const REAL_NODE_LABEL = 'tentacle.dev/real-node';
/** Sysctls the node's components may change; saved before the start and restored after the stop. */
const SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.ipv4.conf.all.route_localnet',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
];

/** Contents of <dir>/cluster/node.json. */
export interface NodeState {
  version: 1;
  name: string;
  ip: string;
  /** host:port of the image registry. */
  registry: string;
  /** The kubelet's root, containerd's configuration, CNI configuration and IPAM data. */
  nodeDir: string;
  /** Sysctl values before the start. */
  sysctls: Record<string, string>;
  /** crictl, for removing pod sandboxes at the stop. */
  crictl: string;
  /** iptablesRules() before the start: what the stop restores and compares with. */
  iptablesBefore: string[];
  ready: boolean;
  components: Partial<Record<NodeComponent, ProcessRecord>>;
  /** The NFS server beside the node. */
  nfs?: NfsServerState;
}

export interface RealNodeOptions {
  /** The control plane's state directory. */
  dir: string;
  /** https://127.0.0.1:<port> of the API server. */
  server: string;
  binDir: string;
  /** Persistent data (containerd's images, the registry's storage): $TENTACLE_CACHE/node. */
  cacheDir: string;
  /** The pod sandbox (pause) image, served by the registry. */
  sandboxImage: string;
  /** Called with the registry's host:port once it serves, before anything pulls (pushes the images). */
  fillRegistry?: (registry: string) => Promise<void>;
  log?: (line: string) => void;
}

export function nodeStatePath(dir: string): string {
  return join(resolve(dir), 'cluster', 'node.json');
}

/** <dir>/nfs: export/ (the NFS server's disk) and server (`SERVER:PATH` for an NFSProvisioner). */
export function nfsPaths(dir: string): { exportDir: string; serverFile: string } {
  return { exportDir: join(resolve(dir), 'nfs', 'export'), serverFile: join(resolve(dir), 'nfs', 'server') };
}

export function readNodeState(dir: string): NodeState | undefined {
  const path = nodeStatePath(dir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as NodeState) : undefined;
}

function saveNodeState(dir: string, state: NodeState): void {
  const path = nodeStatePath(dir);
  writeFileSync(path + '.tmp', JSON.stringify(state, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}

/** The machine's name and the IPv4 address of its default route: the node's name and InternalIP. */
export function hostAddress(): { name: string; ip: string } {
  const name = (process.env.TENTACLE_NODE_NAME ?? hostname()).toLowerCase();
  if (process.env.TENTACLE_NODE_IP) return { name, ip: process.env.TENTACLE_NODE_IP };
  const route = run('ip', ['-4', '-o', 'route', 'show', 'default']);
  const dev = /\bdev (\S+)/.exec(route)?.[1];
  if (!dev) throw new Error('no IPv4 default route: set TENTACLE_NODE_IP to the address pods reach this machine at');
  const addr = run('ip', ['-4', '-o', 'addr', 'show', 'dev', dev, 'scope', 'global']);
  const ip = /\binet (\d+\.\d+\.\d+\.\d+)/.exec(addr)?.[1];
  if (!ip) throw new Error(`no IPv4 address on ${dev}: set TENTACLE_NODE_IP`);
  return { name, ip };
}

/** Why a real node cannot run here (and how to enable it), or undefined when it can. */
export function realNodeUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'a real node needs Linux';
  if (process.getuid?.() !== 0) {
    return 'a real node needs root (containerd, kubelet, iptables, mounts): run `sudo make test` or `sudo make dev-real`';
  }
  return undefined;
}

/** API-server flags a real node needs: reachable from pod networks, a real `kubernetes` endpoint, kubelet client certs. */
export function realNodeApiserverArgs(pkiDir: string, ip: string): string[] {
  return [
    '--bind-address=0.0.0.0',
    `--advertise-address=${ip}`,
    '--endpoint-reconciler-type=lease',
    `--kubelet-client-certificate=${join(pkiDir, 'apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${join(pkiDir, 'apiserver-kubelet-client.key')}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
  ];
}

/** Certificates of the node, from the cluster CA: made once per node name and address. */
export async function ensureNodePki(pkiDir: string, name: string, ip: string): Promise<void> {
  const marker = join(pkiDir, '.node');
  const want = `${name} ${ip}\n`;
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return;
  await Promise.all([
    issue(pkiDir, 'ca', 'kubelet', `/O=system:nodes/CN=system:node:${name}`, 'client'),
    issue(pkiDir, 'ca', 'kubelet-serving', `/CN=${name}`, 'server', [`DNS:${name}`, `IP:${ip}`, 'IP:127.0.0.1']),
    // The API server's identity towards kubelets (logs, exec, port-forward), authorized by the kubelet's webhook.
    issue(pkiDir, 'ca', 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'client'),
    // Bound to system:node-proxier by the default RBAC policy.
    issue(pkiDir, 'ca', 'kube-proxy', '/CN=system:kube-proxy', 'client'),
    // CoreDNS watches Services, EndpointSlices, Namespaces and Pods; a dev cluster makes it a master, like kwok.
    issue(pkiDir, 'ca', 'coredns', '/O=system:masters/CN=coredns', 'client'),
  ]);
  writeFileSync(marker, want);
}

class RealNode {
  readonly #dir: string;
  readonly #state: NodeState;
  readonly #log: (line: string) => void;

  constructor(dir: string, state: NodeState, log: (line: string) => void) {
    this.#dir = dir;
    this.#state = state;
    this.#log = log;
  }

  save(): void {
    saveNodeState(this.#dir, this.#state);
  }

  spawn(name: NodeComponent, bin: string, args: string[]): ProcessRecord {
    const log = join(resolve(this.#dir), 'cluster', 'logs', `${name}.log`);
    writeFileSync(log, `--- ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`, { flag: 'a' });
    // The kubelet and kube-proxy run mount, iptables, conntrack and modprobe from PATH; the kubelet's
    // `mount` is the wrapper in <node>/bin.
    const path = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin`;
    const { record } = spawnDetached({
      bin,
      args,
      log,
      dieWithParent: false,
      env: { PATH: name === 'kubelet' ? `${join(this.#state.nodeDir, 'bin')}:${path}` : path, HOME: process.env.HOME ?? '/root', TZ: 'UTC' },
    });
    this.#state.components[name] = record;
    this.save();
    return record;
  }

  async waitFor(name: NodeComponent, what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
    const start = performance.now();
    let last = '';
    for (;;) {
      const rec = this.#state.components[name];
      if (rec && !isAlive(rec.pid, rec.bin)) {
        throw new Error(`${name} exited while waiting for ${what}; last lines of ${rec.log}:\n${logTail(rec.log)}`);
      }
      try {
        if (await check()) return;
      } catch (err) {
        last = (err as Error).message;
      }
      if (performance.now() - start > timeoutMs) {
        throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (${last})` : ''}${rec ? `\n${logTail(rec.log)}` : ''}`);
      }
      await sleep(200);
    }
  }

  /** Stops everything and undoes every host change; see the table at the top of this file. */
  async stop(): Promise<string[]> {
    const s = this.#state;
    const problems: string[] = [];
    const stopOne = async (name: NodeComponent) => {
      const rec = s.components[name];
      if (rec) await stopProcess(rec, 10_000).catch((err: Error) => problems.push(`${name}: ${err.message}`));
    };
    // The kubelet first, so it restarts nothing; then every pod sandbox through the CRI (CNI DEL).
    await stopOne('kubelet');
    const containerd = s.components.containerd;
    if (containerd && isAlive(containerd.pid, containerd.bin)) {
      const crictl = ['--runtime-endpoint', `unix://${CONTAINERD_SOCKET}`, '--timeout', '30s'];
      const pods = run(s.crictl, [...crictl, 'pods', '-q'], { allowFail: true }).split('\n').filter(Boolean);
      if (pods.length) this.#log(`removing ${pods.length} pod sandboxes`);
      for (const id of pods) run(s.crictl, [...crictl, 'stopp', id], { allowFail: true });
      for (const id of pods) run(s.crictl, [...crictl, 'rmp', '--force', id], { allowFail: true });
    }
    await stopOne('coredns');
    await stopOne('containerd');
    // Shims of this containerd that outlived it (they run in sessions of their own).
    for (const pid of processesMentioning(CONTAINERD_SOCKET)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await stopOne('kube-proxy');
    const kubeProxy = s.components['kube-proxy'];
    if (kubeProxy) run(kubeProxy.bin, ['--cleanup'], { allowFail: true });
    await stopOne('registry');

    for (const mount of mountsUnder([join(s.nodeDir, 'kubelet'), RUN_DIR])) {
      run('umount', ['--lazy', mount], { allowFail: true });
    }
    // The FUSE NFS clients of the kubelet's volume mounts (unmounted above; one waiting for a server
    // that is gone never notices).
    for (const pid of processesMentioning(join(s.nodeDir, 'kubelet')).filter((p) => argv0Of(p).endsWith('tentacle-nfs-fuse'))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (s.nfs) {
      problems.push(...(await stopNfsServer(s.nfs)).map((p) => `NFS server: ${p}`));
      rmSync(nfsPaths(this.#dir).serverFile, { force: true });
    }
    if (existsSync(`/sys/class/net/${BRIDGE}`)) run('ip', ['link', 'delete', BRIDGE], { allowFail: true });
    removeChains(new Set(s.iptablesBefore));
    for (const [key, value] of Object.entries(s.sysctls)) {
      try {
        if (readSysctl(key) !== value) writeSysctl(key, value);
      } catch (err) {
        problems.push(`sysctl ${key}: ${(err as Error).message}`);
      }
    }
    removeCgroups('kubepods');
    rmSync(RUN_DIR, { recursive: true, force: true });
    const before = new Set(s.iptablesBefore);
    const extra = iptablesRules().filter((l) => !before.has(l));
    if (extra.length) problems.push(`iptables rules left that were not there before: ${extra.slice(0, 5).join(' | ')}`);
    s.components = {};
    s.ready = false;
    this.save();
    return problems;
  }
}

/** Starts the real node; resolves when it is Ready, with DNS and the service proxy running. */
export async function startRealNode(opts: RealNodeOptions): Promise<NodeState> {
  const why = realNodeUnavailable();
  if (why) throw new Error(why);
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir);
  const t0 = performance.now();
  const previous = readNodeState(dir);
  if (previous && Object.values(previous.components).some((r) => r && isAlive(r.pid, r.bin))) {
    throw new Error(`a real node is already running for ${dir}; stop it first`);
  }
  const ownerFile = join(RUN_DIR, 'owner');
  const owner = existsSync(ownerFile) ? readFileSync(ownerFile, 'utf8').trim() : undefined;
  const ownerState = owner && owner !== dir ? readNodeState(owner) : undefined;
  if (ownerState && Object.values(ownerState.components).some((r) => r && isAlive(r.pid, r.bin))) {
    throw new Error(`the real node of ${owner} runs on this machine; stop it first: node hack/cluster/cli.ts down --dir ${owner}`);
  }
  const { name, ip } = hostAddress();
  const pkiDir = pkiPaths(join(dir, 'cluster', 'pki')).dir;
  const nodeDir = join(dir, 'node');
  rmSync(nodeDir, { recursive: true, force: true });
  for (const sub of ['cni', 'ipam', 'kubelet', 'kubeconfigs', 'pod-logs']) mkdirSync(join(nodeDir, sub), { recursive: true });
  mkdirSync(RUN_DIR, { recursive: true });
  writeFileSync(ownerFile, dir + '\n');
  mkdirSync(opts.cacheDir, { recursive: true });
  await ensureNodePki(pkiDir, name, ip);

  const sysctls: Record<string, string> = {};
  for (const key of SYSCTLS) {
    const value = readSysctl(key);
    if (value !== undefined) sysctls[key] = value;
  }
  const [registryPort] = (await freePorts(1)) as [number];
  const registry = `127.0.0.1:${registryPort}`;
  const state: NodeState = {
    version: 1,
    name,
    ip,
    registry,
    nodeDir,
    crictl: join(opts.binDir, 'crictl'),
    sysctls,
    iptablesBefore: iptablesRules(),
    ready: false,
    components: {},
  };
  const node = new RealNode(dir, state, log);
  node.save();
  const bin = (b: string) => {
    const path = join(opts.binDir, b);
    if (!existsSync(path)) throw new Error(`${path} not found: run hack/tools.sh real-node`);
    return path;
  };
  const kubeconfig = (who: string, cert: string) => {
    const path = join(nodeDir, 'kubeconfigs', `${who}.kubeconfig`);
    writeKubeconfig(path, {
      server: opts.server,
      caCert: join(pkiDir, 'ca.crt'),
      clientCert: join(pkiDir, `${cert}.crt`),
      clientKey: join(pkiDir, `${cert}.key`),
      user: who,
    });
    return path;
  };

  try {
    // Pods route through the host: forwarding on, bridged traffic through iptables (Service DNAT replies).
    run('modprobe', ['br_netfilter'], { allowFail: true });
    writeSysctl('net.ipv4.ip_forward', '1');
    if (readSysctl('net.bridge.bridge-nf-call-iptables') !== undefined) writeSysctl('net.bridge.bridge-nf-call-iptables', '1');

    let t = performance.now();
    const registryConfig = join(nodeDir, 'registry.yaml');
    writeFileSync(
      registryConfig,
      `version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: ${join(opts.cacheDir, 'registry')}}, delete: {enabled: true}}\nhttp: {addr: ${registry}}\n`,
    );
    node.spawn('registry', bin('registry'), ['serve', registryConfig]);
    await node.waitFor('registry', 'the registry', 30_000, async () => (await httpCall(`http://${registry}/v2/`, { timeoutMs: 2000 })).status === 200);
    log(`registry ready on ${registry} (${secs(t)})`);

    t = performance.now();
    const { exportDir, serverFile } = nfsPaths(dir);
    state.nfs = await startNfsServer({
      exportDir,
      stateDir: join(dir, 'cluster', 'nfs'),
      root: bin('nfs-server'),
      logDir: join(dir, 'cluster', 'logs'),
      save: (nfs) => {
        state.nfs = nfs;
        node.save();
      },
    });
    writeFileSync(serverFile, `${state.nfs.server}\n`);
    log(`NFS server ready at ${state.nfs.server}, exporting ${exportDir} (${secs(t)})`);
    if (opts.fillRegistry) {
      t = performance.now();
      await opts.fillRegistry(registry);
      log(`images pushed to the registry (${secs(t)})`);
    }

    t = performance.now();
    const containerdToml = join(nodeDir, 'containerd.toml');
    writeFileSync(containerdToml, containerdConfig(nodeDir, opts.cacheDir, registry, opts.sandboxImage));
    writeFileSync(join(nodeDir, 'cni', '10-tentacle.conflist'), cniConfig(nodeDir));
    node.spawn('containerd', '/usr/bin/containerd', ['--config', containerdToml]);
    const crictl = ['--runtime-endpoint', `unix://${CONTAINERD_SOCKET}`, '--timeout', '5s'];
    await node.waitFor('containerd', 'containerd', 30_000, () => spawnSync(bin('crictl'), [...crictl, 'info']).status === 0);
    // Sandboxes left by a run that was killed before its stop: removed before the kubelet sees them.
    for (const id of run(bin('crictl'), [...crictl, 'pods', '-q'], { allowFail: true }).split('\n').filter(Boolean)) {
      run(bin('crictl'), [...crictl, 'rmp', '--force', id], { allowFail: true });
    }
    // Images from an earlier run are in containerd's store (kept in the cache) under the tags the
    // registry now serves: a rebuilt tentacle:dev would not be pulled again (IfNotPresent). Forget them
    // all; pulls from the local registry are quick.
    run(bin('crictl'), [...crictl, 'rmi', '--prune'], { allowFail: true });
    log(`containerd ready (${secs(t)})`);

    t = performance.now();
    const kubeletYaml = join(nodeDir, 'kubelet.yaml');
    writeFileSync(kubeletYaml, kubeletConfig(pkiDir, ip, nodeDir));
    const kubeletBin = join(nodeDir, 'bin');
    mkdirSync(kubeletBin, { recursive: true });
    writeFileSync(join(kubeletBin, 'mount'), kubeletMountWrapper({ mount: machineMount(), nfsClient: bin('tentacle-nfs-fuse') }), { mode: 0o755 });
    node.spawn('kubelet', bin('kubelet'), [
      `--config=${kubeletYaml}`,
      `--kubeconfig=${kubeconfig('kubelet', 'kubelet')}`,
      `--root-dir=${join(nodeDir, 'kubelet')}`,
      `--hostname-override=${name}`,
      `--node-ip=${ip}`,
      `--node-labels=${REAL_NODE_LABEL}=true`,
      '--v=1',
    ]);
    node.spawn('kube-proxy', bin('kube-proxy'), [`--config=${writeConfig(nodeDir, 'kube-proxy.yaml', kubeProxyConfig(kubeconfig('kube-proxy', 'kube-proxy'), name))}`]);
    node.spawn('coredns', bin('coredns'), ['-conf', writeConfig(nodeDir, 'Corefile', corefile(ip, kubeconfig('coredns', 'coredns')))]);
    await node.waitFor('coredns', 'CoreDNS /ready', 60_000, async () => (await httpCall('http://127.0.0.1:18181/ready', { timeoutMs: 2000 })).status === 200);
    await node.waitFor('kube-proxy', 'kube-proxy /healthz', 60_000, async () => (await httpCall('http://127.0.0.1:10256/healthz', { timeoutMs: 2000 })).status === 200);
    await node.waitFor('kubelet', 'kubelet /healthz', 60_000, async () => (await httpCall('http://127.0.0.1:10248/healthz', { timeoutMs: 2000 })).status === 200);
    log(`kubelet, kube-proxy and CoreDNS running (${secs(t)})`);
    state.ready = true;
    node.save();
    log(`real node ${name} (${ip}) started in ${secs(t0)}`);
    return state;
  } catch (err) {
    log('real node start failed; stopping what was started');
    const problems = await node.stop().catch((e: Error) => [e.message]);
    for (const p of problems) log(`  ${p}`);
    throw err;
  }
}

/** The machine's mount(8), which the kubelet's wrapper hands every mount but NFS without a kernel client. */
function machineMount(): string {
  const found = ['/usr/bin/mount', '/bin/mount', '/usr/sbin/mount', '/sbin/mount'].find((p) => existsSync(p));
  if (!found) throw new Error('mount(8) not found (util-linux)');
  return found;
}

function argv0Of(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return '';
  }
}

function writeConfig(nodeDir: string, file: string, text: string): string {
  const path = join(nodeDir, file);
  writeFileSync(path, text);
  return path;
}

function secs(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

/**
 * Stops or starts the NFS server of the real node of `dir` (Ganesha alone: its address and rpcbind
 * stay), for outages on purpose: clients see refused connections, and their I/O waits until it is back.
 */
export async function setNfsServerRunning(dir: string, running: boolean): Promise<void> {
  const state = readNodeState(dir);
  if (!state?.nfs) throw new Error(`no NFS server runs for ${dir}`);
  const save = (nfs: NfsServerState) => saveNodeState(resolve(dir), { ...state, nfs });
  if (running) await startGanesha(state.nfs, join(resolve(dir), 'cluster', 'logs'), save);
  else await stopGanesha(state.nfs, save);
}

/** Stops the real node of `dir` (if any) and undoes its host changes; returns what could not be undone. */
export async function stopRealNode(dir: string, log?: (line: string) => void): Promise<string[]> {
  const state = readNodeState(dir);
  if (!state) return [];
  return new RealNode(resolve(dir), state, log ?? (() => {})).stop();
}
