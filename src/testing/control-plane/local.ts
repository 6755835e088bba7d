// A handle on running components: spawning them (recorded in state.json), waiting for them, restarting
// the API server, and stopping them all, also from process.on('exit') when nobody called stop().
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiserverReady } from './apiserver.ts';
import { compactEtcd } from './etcd.ts';
import { httpCall, type TlsMaterial } from './http.ts';
import { pkiPaths } from './pki.ts';
import { isAlive, logTail, spawnDetached, stopProcess, type ProcessRecord } from './process.ts';
import { clusterDir, COMPONENTS, writeState, type ComponentName, type ControlPlaneState } from './state.ts';

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

/** A start-up failure whose message already says what went wrong (and shows the component's log). */
export class StartError extends Error {}

/** Every control plane this process started with dieWithParent, killed if the process exits without stop(). */
const liveWithParent = new Set<LocalControlPlane>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cp of liveWithParent) cp.killNow();
  });
}

export function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

export class LocalControlPlane implements ControlPlane {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly etcdUrl: string;
  readonly #state: ControlPlaneState;
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
    const pki = pkiPaths(join(clusterDir(state.dir), 'pki'));
    this.#log = log;
    this.#tls = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };
    if (owned && state.dieWithParent) {
      installExitHook();
      liveWithParent.add(this);
    }
  }

  save(): void {
    writeState(this.#state);
  }

  markReady(): void {
    this.#state.ready = true;
    this.save();
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
  api = async (method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<{ status: number; json: any }> => {
    const res = await httpCall(this.server + path, { method, body, tls: this.#tls, timeoutMs });
    let json: any;
    try {
      json = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      json = res.body;
    }
    return { status: res.status, json };
  };

  async startApiserverWith(bin: string, args: string[]): Promise<void> {
    const rec = this.#state.components['kube-apiserver'];
    if (rec && isAlive(rec.pid, rec.bin)) throw new Error(`kube-apiserver is already running (pid ${rec.pid})`);
    const start = performance.now();
    this.spawn('kube-apiserver', bin, args);
    await this.waitFor('kube-apiserver', 'kube-apiserver /readyz', 90_000, () => apiserverReady(this.server, this.#tls));
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

  compactEtcd(): Promise<number> {
    return compactEtcd(this.etcdUrl);
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
