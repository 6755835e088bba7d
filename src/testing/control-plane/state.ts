// What a control plane records about itself in <dir>/cluster/state.json, so that another process (the
// CLI's `down` and `status`, a test that restarts the API server) can find and stop its components.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive, type ProcessRecord } from './process.ts';

/** In start order; stop order is the reverse, clients first. */
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

/** Replaces state.json atomically: a reader never sees half a file. */
export function writeState(state: ControlPlaneState): void {
  const path = statePath(state.dir);
  writeFileSync(path + '.tmp', JSON.stringify(state, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}

/** Liveness of each component recorded in state.json. */
export function componentStatus(state: ControlPlaneState): { name: ComponentName; pid: number; alive: boolean }[] {
  return COMPONENTS.flatMap((name) => {
    const rec = state.components[name];
    return rec ? [{ name, pid: rec.pid, alive: isAlive(rec.pid, rec.bin) }] : [];
  });
}
