// Process helpers: free ports, detached components with their output in a log file, liveness by PID
// (guarded against PID reuse), and stopping a process group with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What state.json records about one running component. */
export interface ProcessRecord {
  pid: number;
  /** Absolute path of the executable (symlinks resolved): argv[0] of the process. */
  bin: string;
  args: string[];
  log: string;
  dieWithParent: boolean;
  startedAt: string;
}

/** Ports the kernel reports free right now (all listened on at once, so they are distinct). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('unexpected server address');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Starts `bin args` in its own process group with stdout and stderr appended to `log`.
 * With `dieWithParent`, the command runs under `setpriv --pdeathsig KILL`, so the kernel kills it
 * when the process that started it dies, however it dies (SIGKILL included). setpriv execs the
 * command, so the PID and argv[0] are the component's own.
 */
export function spawnDetached(opts: {
  bin: string;
  args: string[];
  log: string;
  dieWithParent: boolean;
  env?: NodeJS.ProcessEnv;
}): { record: ProcessRecord; child: ChildProcess } {
  const fd = openSync(opts.log, 'a');
  let child: ChildProcess;
  try {
    const [cmd, argv] = opts.dieWithParent
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', opts.bin, ...opts.args]]
      : [opts.bin, opts.args];
    child = spawn(cmd, argv, { detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env });
  } finally {
    closeSync(fd);
  }
  // Spawn failures (ENOENT …) arrive as an 'error' event; the caller sees them as an early exit.
  child.on('error', () => {});
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${opts.bin} (see ${opts.log})`);
  return {
    child,
    record: {
      pid: child.pid,
      bin: opts.bin,
      args: opts.args,
      log: opts.log,
      dieWithParent: opts.dieWithParent,
      startedAt: new Date().toISOString(),
    },
  };
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is alive and still the process we started (its argv[0] is `bin`), so a recycled PID
 * is never mistaken for a component. Zombies count as dead.
 */
export function isAlive(pid: number, bin?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const state = procState(pid);
  if (state === undefined || state === 'Z' || state === 'X') return false;
  if (bin !== undefined) {
    try {
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
      // Between fork and exec argv[0] is still ours (node's), then that of a wrapper that execs the
      // component (setpriv; nsenter and unshare for namespaces) until it does (an empty cmdline is a
      // child still sharing our memory in vfork).
      const starting =
        !argv0 || argv0 === process.argv[0] || argv0 === process.execPath || /(^|\/)(setpriv|nsenter|unshare)$/.test(argv0);
      if (argv0 !== bin && !starting) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Whether any process of the process group `pid` is still there. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the process group led by `record.pid`: SIGTERM, then SIGKILL after `graceMs`; resolves once
 * the leader is gone (and the group is empty or only zombies remain).
 */
export async function stopProcess(
  record: Pick<ProcessRecord, 'pid' | 'bin'>,
  graceMs = 5000,
  child?: ChildProcess,
): Promise<void> {
  const { pid, bin } = record;
  if (!isAlive(pid, bin)) {
    // The leader is gone; stray members of its group (none expected) still get killed.
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
    if (child) await reaped(child);
    return;
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, bin)) break;
    await sleep(50);
  }
  if (isAlive(pid, bin) || groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  const hardDeadline = Date.now() + 10_000;
  while (isAlive(pid, bin)) {
    if (Date.now() > hardDeadline) throw new Error(`process ${pid} (${bin}) did not exit after SIGKILL`);
    await sleep(50);
  }
  if (child) await reaped(child);
}

/** Resolves once Node has reaped its child (so not even a zombie remains), at most after 5 s. */
function reaped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A referenced timer: the children are unref'd, so this is what keeps a script's event loop
    // alive until the exit event arrives.
    const timer = setTimeout(resolve, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(path: string, lines = 40): string {
  if (!existsSync(path)) return `(no log at ${path})`;
  const text = readFileSync(path, 'utf8').trimEnd();
  const all = text.split('\n');
  return all.slice(-lines).join('\n');
}
