// Runs the operator as a real process (node src/main.ts, or the built dist/main.js that the image runs)
// against the test control plane, so tests can signal it, kill -9 it and restart it exactly as a
// Deployment would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { kubeconfigPath } from './runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface OperatorProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  /** Its stdout alone: the JSON log lines, never split by a write to stderr. */
  stdout(): string;
  metricsPort: number;
  probePort: number;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup at all, as a node failure. */
  kill(): Promise<void>;
}

/** Spawns the operator with `args`; `ready` waits for /readyz. */
export async function runOperator(
  args: string[],
  options: { ready?: boolean; kubeconfig?: string; /** Script to run, default src/main.ts. */ entry?: string; nodeOptions?: string[] } = {},
): Promise<OperatorProcess> {
  const [metricsPort, probePort] = [await freePort(), await freePort()];
  // Under `setpriv --pdeathsig KILL` (which execs node, so the PID is the operator's): if the test
  // runner dies, even by SIGKILL, the kernel kills the operator too instead of leaving it running.
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'KILL',
      '--',
      process.execPath,
      ...(options.nodeOptions ?? []),
      options.entry ?? 'src/main.ts',
      `--kubeconfig=${options.kubeconfig ?? kubeconfigPath()}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${probePort}`,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let stdout = '';
  child.stdout.on('data', (d) => {
    output += d;
    stdout += d;
  });
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const op: OperatorProcess = {
    child,
    exited,
    output: () => output,
    stdout: () => stdout,
    metricsPort,
    probePort,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
  if (options.ready ?? true) {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).status === 200, {
      what: `operator readyz (output so far: ${output.slice(-500)})`,
      timeoutMs: 30_000,
    });
  }
  return op;
}
