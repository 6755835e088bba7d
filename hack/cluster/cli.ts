// node hack/cluster/cli.ts up|down|status [--dir D] [--nodes N] [--real-node]
// node hack/cluster/cli.ts nfs-server stop|start [--dir D]
//
//   up      starts the local control plane in the background (it keeps running after this command
//           exits) and writes the admin kubeconfig to <dir>/kubeconfig; does nothing if it already runs.
//           With --real-node also a real node (real-node.ts; kwok nodes default to 0 then), whose
//           registry is filled by `hack/images.sh push` (the images must be built, Docker running)
//   down    stops every process of the control plane, by PID
//   status  each component and whether it is alive, the nodes, and the aggregated APIs (metrics-server's
//           v1beta1.metrics.k8s.io) with their availability
//   nfs-server stop|start
//           an outage of the real node's NFS server on purpose: stops NFS-Ganesha (clients' I/O waits),
//           then starts it again
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { apiServiceAvailable } from '../../src/testing/control-plane/aggregation.ts';
import { adminRequest, attachControlPlane, startControlPlane } from '../../src/testing/control-plane/start.ts';
import { clusterDir, componentStatus, readState, statePath } from '../../src/testing/control-plane/state.ts';
import { ensurePki, pkiPaths, writeKubeconfig } from '../../src/testing/control-plane/pki.ts';
import {
  ensureNodePki,
  hostAddress,
  NODE_COMPONENTS,
  readNodeState,
  realNodeApiserverArgs,
  setNfsServerRunning,
  startRealNode,
  stopRealNode,
} from './real-node.ts';
import { processesMentioning } from './host.ts';
import { isAlive, stopProcess } from '../../src/testing/control-plane/process.ts';

const USAGE = 'usage: node hack/cluster/cli.ts up|down|status [--dir DIR] [--nodes N] [--real-node] | nfs-server stop|start [--dir DIR]';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = process.env.TENTACLE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tentacle');

/** Runs hack/images.sh with `args` and returns its output (it prints its own progress on stderr). */
function images(...args: string[]): string {
  const res = spawnSync(join(REPO_ROOT, 'hack/images.sh'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) throw new Error(`hack/images.sh ${args.join(' ')} failed (exit ${res.status})`);
  return res.stdout.trim();
}

function progress(line: string): void {
  process.stderr.write(`[cluster] ${line}\n`);
}

async function up(dir: string, nodes: number, realNode: boolean): Promise<number> {
  const state = readState(dir);
  const node = readNodeState(dir);
  const nodeUp = !!node?.ready && NODE_COMPONENTS.every((c) => node.components[c] && isAlive(node.components[c].pid, node.components[c].bin));
  if (state) {
    const status = componentStatus(state);
    const alive = status.filter((c) => c.alive);
    if (state.ready && alive.length > 0 && alive.length === status.length && nodeUp === realNode) {
      progress(`already running: ${state.server} (${alive.map((c) => `${c.name} ${c.pid}`).join(', ')})`);
      if (!existsSync(state.kubeconfigPath)) {
        // Deleted since (e.g. by hand, or a clean of the directory): the cluster is no use without it.
        const pki = pkiPaths(join(dir, 'cluster', 'pki'));
        writeKubeconfig(state.kubeconfigPath, { server: state.server, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey, user: 'kubernetes-admin' });
        progress(`rewrote the missing ${state.kubeconfigPath}`);
      }
      console.log(`export KUBECONFIG=${state.kubeconfigPath}`);
      return 0;
    }
    if (alive.length > 0) {
      progress(`cleaning up a partial control plane (${alive.map((c) => `${c.name} ${c.pid}`).join(', ')})`);
    } else if (status.length > 0) {
      progress('cleaning up stale state (no component alive)');
    }
    for (const problem of await stopRealNode(dir, progress)) progress(`  ${problem}`);
    await (await attachControlPlane(dir)).stop();
  }
  const start = performance.now();
  let apiserverArgs: string[] = [];
  if (realNode) {
    const pkiDir = join(dir, 'cluster', 'pki');
    await ensurePki(pkiDir);
    const { name, ip } = hostAddress();
    await ensureNodePki(pkiDir, name, ip);
    apiserverArgs = realNodeApiserverArgs(pkiDir, ip);
  }
  const cp = await startControlPlane({ dir, nodes, apiserverArgs, dieWithParent: false, log: progress });
  if (realNode) {
    try {
      await startRealNode({
        dir,
        server: cp.server,
        binDir: join(REPO_ROOT, 'bin'),
        cacheDir: join(CACHE, 'node'),
        sandboxImage: images('pause-image'),
        fillRegistry: async (registry) => void images('push', registry),
        log: progress,
      });
    } catch (err) {
      await cp.stop();
      throw err;
    }
  }
  progress(`up in ${((performance.now() - start) / 1000).toFixed(1)}s; pids ${JSON.stringify(cp.pids())}`);
  console.log(`export KUBECONFIG=${cp.kubeconfigPath}`);
  return 0;
}

async function down(dir: string): Promise<number> {
  const state = readState(dir);
  if (!state) {
    progress(`nothing to stop (no ${statePath(dir)})`);
    return 0;
  }
  const alive = componentStatus(state).filter((c) => c.alive);
  const problems = await stopRealNode(dir, progress);
  await (await attachControlPlane(dir)).stop();
  for (const problem of problems) progress(`real node: ${problem}`);
  for (const pid of await stopUnrecorded(dir)) progress(`stopped ${pid}, a component that was never recorded`);
  progress(
    alive.length ? `stopped ${alive.map((c) => `${c.name} ${c.pid}`).join(', ')}` : 'nothing was running',
  );
  return 0;
}

/**
 * Stops processes whose arguments name the cluster directory but that state.json does not hold: a
 * component whose start was cut short before it was recorded. Every component's flags name that
 * directory (certificates, data, logs); this process and its ancestors never do.
 */
async function stopUnrecorded(dir: string): Promise<number[]> {
  const strays = processesMentioning(`${clusterDir(resolve(dir))}/`).filter((pid) => !ancestors().has(pid));
  await Promise.all(strays.map((pid) => stopProcess({ pid, bin: argv0(pid) ?? '' }, 5000)));
  return strays;
}

function argv0(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

function ancestors(): Set<number> {
  const pids = new Set<number>();
  for (let pid = process.pid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

async function status(dir: string): Promise<number> {
  const state = readState(dir);
  if (!state) {
    console.log(`not running (no ${statePath(dir)})`);
    return 1;
  }
  const comps = componentStatus(state);
  if (comps.length === 0) {
    console.log('not running');
    return 1;
  }
  console.log(`server      ${state.server}`);
  console.log(`kubeconfig  ${state.kubeconfigPath}`);
  console.log(`etcd        ${state.etcdUrl}`);
  for (const c of comps) {
    console.log(`${c.name.padEnd(24)} pid ${String(c.pid).padEnd(8)} ${c.alive ? 'alive' : 'DEAD'}`);
  }
  const node = readNodeState(dir);
  if (node?.ready) console.log(`real node   ${node.name} (${node.ip}), images from the registry ${node.registry}`);
  for (const name of NODE_COMPONENTS) {
    const rec = node?.components[name];
    if (rec) console.log(`${name.padEnd(24)} pid ${String(rec.pid).padEnd(8)} ${isAlive(rec.pid, rec.bin) ? 'alive' : 'DEAD'}`);
  }
  if (node?.nfs) {
    console.log(`NFS server  ${node.nfs.server}, exporting ${node.nfs.exportDir}`);
    for (const [name, rec] of [['nfs rpcbind', node.nfs.rpcbind], ['nfs ganesha', node.nfs.ganesha]] as const) {
      console.log(`${name.padEnd(24)} ${rec ? `pid ${String(rec.pid).padEnd(8)} ${isAlive(rec.pid, rec.bin) ? 'alive' : 'DEAD'}` : 'stopped'}`);
    }
  }
  const apiserver = comps.find((c) => c.name === 'kube-apiserver');
  if (apiserver?.alive) {
    try {
      const res = await adminRequest(state, '/api/v1/nodes');
      const items = (res.json?.items ?? []) as any[];
      console.log(`nodes (${items.length}):`);
      for (const n of items) {
        const ready = (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status ?? 'Unknown';
        console.log(`  ${String(n.metadata?.name).padEnd(22)} Ready=${ready}`);
      }
    } catch (err) {
      console.log(`nodes: cannot list (${(err as Error).message})`);
    }
    try {
      const res = await adminRequest(state, '/apis/apiregistration.k8s.io/v1/apiservices');
      const aggregated = ((res.json?.items ?? []) as any[]).filter((a) => a.spec?.service);
      if (aggregated.length) console.log(`aggregated APIs (${aggregated.length}):`);
      for (const a of aggregated) {
        const { ok, message } = apiServiceAvailable(a);
        const svc = `${a.spec.service.namespace}/${a.spec.service.name}:${a.spec.service.port}`;
        console.log(`  ${String(a.metadata?.name).padEnd(36)} ${svc.padEnd(34)} ${ok ? 'Available' : message}`);
      }
    } catch (err) {
      console.log(`aggregated APIs: cannot list (${(err as Error).message})`);
    }
  }
  return comps.every((c) => c.alive) ? 0 : 1;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: '.dev' },
      nodes: { type: 'string' },
      'real-node': { type: 'boolean', default: false },
    },
  });
  const [cmd, ...rest] = positionals;
  if (cmd === 'nfs-server' && rest.length === 1 && (rest[0] === 'stop' || rest[0] === 'start')) {
    await setNfsServerRunning(values.dir, rest[0] === 'start');
    progress(`NFS server ${rest[0] === 'start' ? 'serving again' : 'stopped'}`);
    return 0;
  }
  const realNode = values['real-node'];
  // A real node alone by default: pods then never land on simulated nodes.
  const nodes = Number(values.nodes ?? (realNode ? 0 : 3));
  if (rest.length || !Number.isInteger(nodes) || nodes < 0) {
    console.error(USAGE);
    return 2;
  }
  switch (cmd) {
    case 'up':
      return up(values.dir, nodes, realNode);
    case 'down':
      return down(values.dir);
    case 'status':
      return status(values.dir);
    default:
      console.error(USAGE);
      return 2;
  }
}

// A signal ends this process between two steps, never inside one: a component is spawned and recorded
// in state.json in one synchronous step, so `down` always knows every process `up` started.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`[cluster] ${signal}: stopping here`);
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
