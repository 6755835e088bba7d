// tentacle-nfs-fuse, the FUSE NFSv3 client the real node and the kind nodes mount NFS volumes with where the
// kernel has none, against NFS-Ganesha: a server of this test's own (nfs-server.ts on a second network, so
// that its restart touches nothing else), the client started as util-linux's `mount -t nfs` starts
// mount.nfs. What a pod's volume relies on: ids passed through to the server, the server's permission
// checks, chown/chmod, mkdir modes, rename, rm -rf, symlinks, hard links, truncate, a subdirectory of the
// export, ro, mount.nfs's options, a server restart under a waiting write, and `umount` ending the client.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGanesha, startNfsServer, stopGanesha, stopNfsServer, type NfsServerState } from '../../hack/cluster/nfs-server.ts';
import { processesMentioning } from '../../hack/cluster/host.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { REPO } from '../e2e/support.ts';

const CLIENT = join(REPO, 'bin', 'tentacle-nfs-fuse');
const NETWORK = { link: 'tentacle-nfs-t', hostAddress: '10.245.255.5', serverAddress: '10.245.255.6' };

/** Runs a command (as `uid`:`gid` with no supplementary groups when given); its status and output. */
function sh(script: string, as?: { uid: number; gid: number }): { status: number; out: string } {
  const argv = as ? ['setpriv', '--reuid', String(as.uid), '--regid', String(as.gid), '--clear-groups', 'sh', '-c', script] : ['sh', '-c', script];
  const res = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}`.trim() };
}

function fuseMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(' - fuse.tentacle-nfs '))
    .map((l) => l.split(' ')[4]!);
}

describe('tentacle-nfs-fuse against NFS-Ganesha', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-nfs-client-'));
  const exportDir = join(dir, 'export');
  const logDir = join(dir, 'logs');
  let server: NfsServerState | undefined;
  const save = (s: NfsServerState) => void (server = s);
  const mounts: string[] = [];

  /** `mount.nfs SOURCE TARGET -o OPTIONS` as util-linux runs it (the client's own command line). */
  const mount = (source: string, options = 'rw', target = join(dir, `mnt-${mounts.length}`)) => {
    mkdirSync(target, { recursive: true });
    const res = spawnSync(CLIENT, [source, target, '-o', options], { encoding: 'utf8', timeout: 30_000 });
    if (res.status === 0) mounts.push(target);
    return { target, status: res.status, stderr: res.stderr };
  };
  const at = (path = '') => `${server!.network.serverAddress}:/exports${path}`;

  beforeAll(async () => {
    chmodSync(dir, 0o755); // other users reach the mount points in it
    mkdirSync(logDir, { recursive: true });
    server = await startNfsServer({ exportDir, stateDir: join(dir, 'state'), root: join(REPO, 'bin', 'nfs-server'), logDir, save, network: NETWORK });
  });
  afterAll(async () => {
    for (const m of mounts.reverse()) spawnSync('umount', ['--lazy', m]);
    const problems = server ? await stopNfsServer(server) : [];
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, []);
  });

  test('mounts as mount.nfs would: the source and type the kubelet recognises, errors before anything is mounted', () => {
    const m = mount(at(), 'rw,nfsvers=4.1,hard,timeo=600');
    assert.equal(m.status, 0, m.stderr);
    const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === m.target)!;
    assert.match(line, new RegExp(` - fuse\\.tentacle-nfs ${at().replace(/\./g, '\\.')} `));
    // A mount point of its own (the kubelet's IsLikelyNotMountPoint compares devices).
    assert.notEqual(statSync(m.target).dev, statSync(dir).dev);
    const refused = mount(`${NETWORK.serverAddress}:/not-exported`);
    assert.equal(refused.status, 32);
    assert.match(refused.stderr, /mount\.nfs|tentacle-nfs-fuse|failed/);
    assert.ok(!fuseMounts().includes(refused.target));
    const udp = mount(at(), 'proto=udp');
    assert.equal(udp.status, 1);
    assert.match(udp.stderr, /only TCP/);
  });

  test('ids go to the server as the caller\'s: the server checks permissions, owners are the callers\'', () => {
    const mnt = mounts[0]!;
    assert.equal(sh(`mkdir -m 0777 ${mnt}/shared`).status, 0);
    assert.equal(sh(`echo nobody > ${mnt}/shared/by-65534`, { uid: 65534, gid: 65534 }).status, 0);
    assert.equal(statSync(join(exportDir, 'shared/by-65534')).uid, 65534);
    assert.equal(statSync(join(exportDir, 'shared/by-65534')).gid, 65534);
    // The export root is 65532's (0775): another user may not write there, and the server says so.
    const denied = sh(`touch ${mnt}/by-1000`, { uid: 1000, gid: 1000 });
    assert.notEqual(denied.status, 0);
    assert.match(denied.out, /Permission denied/);
    const notOwner = sh(`echo more >> ${mnt}/shared/by-65534`, { uid: 1000, gid: 1000 });
    assert.notEqual(notOwner.status, 0);
    assert.match(notOwner.out, /Permission denied/);
  });

  test('chown and chmod by root, mkdir modes under a umask, rename, symlinks, hard links, truncate, rm -rf', () => {
    const mnt = mounts[0]!;
    assert.equal(sh(`cd ${mnt} && umask 022 && mkdir -m 0750 d && echo x > d/f && chown 1234:4321 d/f && chmod 0640 d/f`).status, 0);
    assert.equal(statSync(join(exportDir, 'd')).mode & 0o7777, 0o750);
    const f = statSync(join(exportDir, 'd/f'));
    assert.deepEqual([f.uid, f.gid, f.mode & 0o7777], [1234, 4321, 0o640]);
    assert.equal(sh(`cd ${mnt} && mkdir -p a/b/c && touch a/b/c/x && mv a/b archived-b && ln -s d/f link && ln d/f hard && truncate -s 100 d/f`).status, 0);
    assert.ok(existsSync(join(exportDir, 'archived-b/c/x')));
    assert.equal(readlinkSync(join(exportDir, 'link')), 'd/f');
    assert.ok(lstatSync(join(exportDir, 'link')).isSymbolicLink());
    assert.equal(statSync(join(exportDir, 'd/f')).nlink, 2);
    assert.equal(statSync(join(exportDir, 'd/f')).size, 100);
    assert.equal(sh(`rm -rf ${mnt}/a ${mnt}/archived-b ${mnt}/d ${mnt}/link ${mnt}/hard`).status, 0);
    assert.ok(!existsSync(join(exportDir, 'archived-b')) && !existsSync(join(exportDir, 'd')));
    // Written on the server's disk, read through the mount (no stale listing).
    writeFileSync(join(exportDir, 'shared', 'from-server'), 'hello');
    assert.equal(readFileSync(join(mnt, 'shared', 'from-server'), 'utf8'), 'hello');
  });

  test('a subdirectory of the export, read-only, and ports given instead of the portmapper', () => {
    mkdirSync(join(exportDir, 'shared', 'sub'), { recursive: true });
    writeFileSync(join(exportDir, 'shared', 'sub', 'file'), 'in sub');
    const sub = mount(at('/shared/sub'), 'ro,port=2049,mountport=20048');
    assert.equal(sub.status, 0, sub.stderr);
    assert.equal(readFileSync(join(sub.target, 'file'), 'utf8'), 'in sub');
    const write = sh(`touch ${sub.target}/new`);
    assert.notEqual(write.status, 0);
    assert.match(write.out, /Read-only file system/);
  });

  test('a write waits while the server is down and completes when it is back', async () => {
    const mnt = mounts[0]!;
    await stopGanesha(server!, save);
    const writer = spawn('sh', ['-c', `echo during-outage > ${mnt}/shared/outage`], { stdio: 'ignore' });
    // The writer waits in the kernel for the client's answer, which waits for the server.
    await waitFor(() => /fuse|request_wait/.test(readFileSync(`/proc/${writer.pid}/wchan`, 'utf8')), { timeoutMs: 10_000, what: 'the writer waiting on the mount' });
    assert.ok(!existsSync(join(exportDir, 'shared', 'outage')));
    assert.equal(writer.exitCode, null);
    await startGanesha(server!, logDir, save);
    await waitFor(() => existsSync(join(exportDir, 'shared', 'outage')) && readFileSync(join(exportDir, 'shared', 'outage'), 'utf8') === 'during-outage\n', {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: 'the write made during the outage on the server',
    });
  });

  test('umount ends the mount and its client', async () => {
    for (const target of mounts.splice(0)) {
      assert.equal(spawnSync('umount', [target]).status, 0);
      assert.ok(!fuseMounts().includes(target));
      await waitFor(() => processesMentioning(target).length === 0, { timeoutMs: 10_000, what: `the client of ${target} gone` });
    }
  });
});
