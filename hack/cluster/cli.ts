// node hack/cluster/cli.ts up|down|status [--dir D] [--nodes N]
//
//   up      starts the local control plane in the background (it keeps running after this command
//           exits) and writes the admin kubeconfig to <dir>/kubeconfig; does nothing if it already runs
//   down    stops every process of the control plane, by PID
//   status  each component and whether it is alive, the nodes, and the aggregated APIs (metrics-server's
//           v1beta1.metrics.k8s.io) with their availability
import { parseArgs } from 'node:util';
import {
  adminRequest,
  apiServiceAvailable,
  attachControlPlane,
  componentStatus,
  readState,
  startControlPlane,
  statePath,
} from './control-plane.ts';

const USAGE = 'usage: node hack/cluster/cli.ts up|down|status [--dir DIR] [--nodes N]';

function progress(line: string): void {
  process.stderr.write(`[cluster] ${line}\n`);
}

async function up(dir: string, nodes: number): Promise<number> {
  const state = readState(dir);
  if (state) {
    const status = componentStatus(state);
    const alive = status.filter((c) => c.alive);
    if (state.ready && alive.length > 0 && alive.length === status.length) {
      progress(`already running: ${state.server} (${alive.map((c) => `${c.name} ${c.pid}`).join(', ')})`);
      console.log(`export KUBECONFIG=${state.kubeconfigPath}`);
      return 0;
    }
    if (alive.length > 0) {
      progress(`cleaning up a partial control plane (${alive.map((c) => `${c.name} ${c.pid}`).join(', ')})`);
    } else if (status.length > 0) {
      progress('cleaning up stale state (no component alive)');
    }
    await (await attachControlPlane(dir)).stop();
  }
  const start = performance.now();
  const cp = await startControlPlane({ dir, nodes, dieWithParent: false, log: progress });
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
  await (await attachControlPlane(dir)).stop();
  progress(
    alive.length ? `stopped ${alive.map((c) => `${c.name} ${c.pid}`).join(', ')}` : 'nothing was running',
  );
  return 0;
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
    options: { dir: { type: 'string', default: '.dev' }, nodes: { type: 'string', default: '3' } },
  });
  const [cmd, ...rest] = positionals;
  const nodes = Number(values.nodes);
  if (rest.length || !Number.isInteger(nodes) || nodes < 0) {
    console.error(USAGE);
    return 2;
  }
  switch (cmd) {
    case 'up':
      return up(values.dir, nodes);
    case 'down':
      return down(values.dir);
    case 'status':
      return status(values.dir);
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
