// A real NFS server beside the real node: NFS-Ganesha (VFS backend) with rpcbind, exporting one host
// directory over NFSv3 and NFSv4 at SERVER:/exports. The binaries are Debian's, unpacked into the cache
// by `hack/tools.sh nfs` (bin/nfs-server): nothing is installed on the machine.
//
// Isolation: the server runs in network and mount namespaces of its own, held by one process (`unshare
// … sleep infinity`), so that it listens only on its end of a point-to-point veth (NFS_NETWORK: the
// host's end `tentacle-nfs` 10.245.255.1, the server 10.245.255.2) and its rpcbind never meets one the machine may already run: /run
// is a private tmpfs there, and where the machine has no `_rpc` user (rpcbind drops to it) a copy of
// /etc/passwd with one is bind-mounted in that namespace only.
//
// What it changes on the host, and how stop undoes it:
//   processes        the namespace holder, rpcbind, ganesha.nfsd: stopped by PID, then anything else left
//                    in the namespace (matched by its network namespace)
//   network devices  the veth (it goes with the namespace; deleted if still there)
//   files            the export directory and the server's state directory (kept: the data is the user's)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, logTail, spawnDetached, stopProcess, type ProcessRecord } from '../../src/testing/control-plane/process.ts';
import { run } from './host.ts';

/** The point-to-point link to the server: the host's end, and the server's address. */
export interface NfsNetwork {
  /** The host's end of the veth (at most 15 characters). */
  link: string;
  hostAddress: string;
  serverAddress: string;
}
/** The real node's: on its own 10.245.0.0/16 (pods use 10.245.0.0/24). */
export const NFS_NETWORK: NfsNetwork = { link: 'tentacle-nfs', hostAddress: '10.245.255.1', serverAddress: '10.245.255.2' };
const PREFIX = 30;
/** The path clients mount (NFSv3 and NFSv4 alike: Ganesha's pseudo path). */
export const NFS_EXPORT_PATH = '/exports';
/** The chart's agent runs as 65532: the export root is its, so that it can make volume directories. */
const EXPORT_OWNER = 65532;
const NFS_PORT = 2049;

export interface NfsServerState {
  /** SERVER:PATH to give an NFSProvisioner. */
  server: string;
  network: NfsNetwork;
  exportDir: string;
  /** Configuration, logs and NFSv4 recovery data. */
  stateDir: string;
  /** bin/nfs-server: the unpacked Debian packages. */
  root: string;
  /** The network namespace's inode (`net:[N]`), to find every process in it. */
  netns?: string;
  holder?: ProcessRecord;
  rpcbind?: ProcessRecord;
  ganesha?: ProcessRecord;
}

const CONFIG_TEMPLATE = fileURLToPath(new URL('../images/nfs-server/ganesha.conf.in', import.meta.url));

/** Ganesha's configuration (the NFS server image's template): one export, NFSv3 and v4 over TCP, uids as sent. */
export function ganeshaConfig(opts: { exportDir: string; pluginsDir: string; recoveryDir: string }): string {
  return readFileSync(CONFIG_TEMPLATE, 'utf8')
    .replaceAll('@EXPORT_DIR@', opts.exportDir)
    .replaceAll('@PLUGINS_DIR@', opts.pluginsDir)
    .replaceAll('@RECOVERY_DIR@', opts.recoveryDir);
}

function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** PIDs of the processes in the network namespace `netns`. */
function processesIn(netns: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && netnsOf(pid) === netns);
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function waitUntil(what: string, rec: ProcessRecord | undefined, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (rec && !isAlive(rec.pid, rec.bin)) throw new Error(`${rec.bin} exited while waiting for ${what}:\n${logTail(rec.log)}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${rec ? `:\n${logTail(rec.log)}` : ''}`);
    await sleep(100);
  }
}

function libraryPath(root: string): string {
  const arch = multiarch(root);
  return [join(root, 'usr/lib/ganesha'), join(root, 'usr/lib', arch), join(root, 'lib', arch)].join(':');
}

function nsenter(state: NfsServerState, args: string[]): string {
  return run('nsenter', ['-t', String(state.holder!.pid), '-n', '-m', '--', ...args]);
}

/**
 * Spawns `bin args` inside the server's namespaces (or, for the holder, in new ones), detached; the
 * record names the program itself, which nsenter and unshare exec.
 */
function spawnIn(state: NfsServerState | undefined, name: string, logDir: string, bin: string, args: string[], env?: NodeJS.ProcessEnv): ProcessRecord {
  const wrapper = state
    ? ['nsenter', ['-t', String(state.holder!.pid), '-n', '-m', '--', bin, ...args]]
    : ['unshare', ['--net', '--mount', '--propagation', 'private', '--', bin, ...args]];
  const { record } = spawnDetached({
    bin: wrapper[0] as string,
    args: wrapper[1] as string[],
    log: join(logDir, `${name}.log`),
    dieWithParent: false,
    ...(env ? { env } : {}),
  });
  return { ...record, bin, args };
}

/** Starts the namespaces, rpcbind and Ganesha; resolves once the export is served. `save` persists the state. */
export async function startNfsServer(opts: {
  exportDir: string;
  stateDir: string;
  root: string;
  logDir: string;
  save: (state: NfsServerState) => void;
  /** Default NFS_NETWORK: another for a second server on the machine. */
  network?: NfsNetwork;
}): Promise<NfsServerState> {
  const net = opts.network ?? NFS_NETWORK;
  const ganesha = join(opts.root, 'usr/bin/ganesha.nfsd');
  if (!existsSync(ganesha)) throw new Error(`${ganesha} not found: run hack/tools.sh nfs`);
  if (existsSync(`/sys/class/net/${net.link}`)) throw new Error(`a network device ${net.link} exists: another NFS server of the project runs`);
  mkdirSync(join(opts.stateDir, 'recovery'), { recursive: true });
  if (!existsSync(opts.exportDir)) {
    mkdirSync(opts.exportDir, { recursive: true });
    chownSync(opts.exportDir, EXPORT_OWNER, EXPORT_OWNER);
    chmodSync(opts.exportDir, 0o775);
  }
  const state: NfsServerState = { server: `${net.serverAddress}:${NFS_EXPORT_PATH}`, network: net, exportDir: opts.exportDir, stateDir: opts.stateDir, root: opts.root };
  const holder = spawnIn(undefined, 'nfs-namespace', opts.logDir, '/bin/sleep', ['infinity']);
  state.holder = holder;
  opts.save(state);
  const hostNetns = netnsOf(process.pid);
  await waitUntil('the NFS server namespace', holder, 10_000, () => {
    const ns = netnsOf(holder.pid);
    return ns !== undefined && ns !== hostNetns;
  });
  state.netns = netnsOf(holder.pid);
  opts.save(state);

  // /run of its own (rpcbind's socket and lock), mounted without touching the host's /run/mount.
  nsenter(state, ['mount', '-n', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run']);
  if (spawnSync('getent', ['passwd', '_rpc']).status !== 0) {
    const passwd = join(opts.stateDir, 'passwd');
    writeFileSync(passwd, readFileSync('/etc/passwd', 'utf8').trimEnd() + '\n_rpc:x:65533:65534:rpcbind:/run/rpcbind:/usr/sbin/nologin\n');
    nsenter(state, ['mount', '-n', '--bind', passwd, '/etc/passwd']);
  }
  run('ip', ['link', 'add', net.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(holder.pid)]);
  run('ip', ['addr', 'add', `${net.hostAddress}/${PREFIX}`, 'dev', net.link]);
  run('ip', ['link', 'set', net.link, 'up']);
  nsenter(state, ['ip', 'link', 'set', 'lo', 'up']);
  nsenter(state, ['ip', 'addr', 'add', `${net.serverAddress}/${PREFIX}`, 'dev', 'eth0']);
  nsenter(state, ['ip', 'link', 'set', 'eth0', 'up']);

  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LD_LIBRARY_PATH: libraryPath(opts.root), TZ: 'UTC' };
  state.rpcbind = spawnIn(state, 'nfs-rpcbind', opts.logDir, join(opts.root, 'sbin/rpcbind'), ['-f'], env);
  opts.save(state);
  await waitUntil('rpcbind', state.rpcbind, 10_000, () => existsSync(`/proc/${holder.pid}/root/run/rpcbind.sock`));
  await startGanesha(state, opts.logDir, opts.save);
  return state;
}

/** Starts Ganesha in the server's namespaces (again, after stopGanesha); resolves once it serves. */
export async function startGanesha(state: NfsServerState, logDir: string, save: (state: NfsServerState) => void): Promise<void> {
  if (state.ganesha && isAlive(state.ganesha.pid, state.ganesha.bin)) return;
  const conf = join(state.stateDir, 'ganesha.conf');
  writeFileSync(
    conf,
    ganeshaConfig({ exportDir: state.exportDir, pluginsDir: join(state.root, 'usr/lib', multiarch(state.root), 'ganesha'), recoveryDir: join(state.stateDir, 'recovery') }),
  );
  const log = join(logDir, 'nfs-ganesha.log');
  const from = existsSync(log) ? readFileSync(log).length : 0;
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LD_LIBRARY_PATH: libraryPath(state.root), TZ: 'UTC' };
  const bin = join(state.root, 'usr/bin/ganesha.nfsd');
  state.ganesha = spawnIn(state, 'nfs-ganesha', logDir, bin, ['-F', '-L', log, '-f', conf, '-p', join(state.stateDir, 'ganesha.pid'), '-N', 'NIV_EVENT'], env);
  save(state);
  await waitUntil('NFS-Ganesha to serve', state.ganesha, 30_000, async () => {
    const text = readFileSync(log, 'utf8').slice(from);
    return text.includes('NFS SERVER INITIALIZED') && (await tcpOpen(state.network.serverAddress, NFS_PORT));
  });
}

/** Stops Ganesha alone (an outage: clients see connections refused, rpcbind and the address stay). */
export async function stopGanesha(state: NfsServerState, save: (state: NfsServerState) => void): Promise<void> {
  if (state.ganesha) await stopProcess(state.ganesha, 10_000);
  delete state.ganesha;
  save(state);
}

/** Stops everything of the server; returns what could not be undone. */
export async function stopNfsServer(state: NfsServerState): Promise<string[]> {
  const problems: string[] = [];
  for (const rec of [state.ganesha, state.rpcbind, state.holder]) {
    if (rec) await stopProcess(rec, 10_000).catch((err: Error) => problems.push(`${rec.bin}: ${err.message}`));
  }
  // Anything else that entered the namespace (nsenter by hand, a process whose record was lost).
  if (state.netns && state.netns !== netnsOf(process.pid)) {
    for (const pid of processesIn(state.netns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 10_000;
    while (processesIn(state.netns).length && Date.now() < deadline) await sleep(50);
    const left = processesIn(state.netns);
    if (left.length) problems.push(`processes left in the NFS server's namespace: ${left.join(', ')}`);
  }
  const link = state.network.link;
  if (existsSync(`/sys/class/net/${link}`)) run('ip', ['link', 'delete', link], { allowFail: true });
  if (existsSync(`/sys/class/net/${link}`)) problems.push(`network device ${link} left`);
  delete state.ganesha;
  delete state.rpcbind;
  delete state.holder;
  return problems;
}

/** The multiarch directory of the unpacked libraries (x86_64-linux-gnu, aarch64-linux-gnu …). */
function multiarch(root: string): string {
  const dir = readdirSync(join(root, 'usr/lib')).find((d) => d.endsWith('-linux-gnu') && existsSync(join(root, 'usr/lib', d, 'ganesha')));
  if (!dir) throw new Error(`no Ganesha plugins under ${root}/usr/lib: run hack/tools.sh nfs`);
  return dir;
}
