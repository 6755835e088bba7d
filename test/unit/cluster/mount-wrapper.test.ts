// The real node's kubelet `mount` (kubeletMountWrapper), run as the kubelet runs it: NFS goes to the
// FUSE client exactly when the kernel has no NFS client, with mount.nfs's command line; every other
// mount, and NFS with a kernel client, goes to the machine's mount with the arguments untouched.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeletMountWrapper } from '../../../hack/cluster/node-config.ts';

/** Runs the wrapper with `args`; which of the two commands ran, and with what arguments (one per line). */
function dispatch(args: string[], kernelHasNfs: boolean): { ran: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mount-wrapper-'));
  try {
    const record = (name: string) => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\necho ${name} > ${dir}/ran\nfor a in "$@"; do echo "$a"; done > ${dir}/args\n`, { mode: 0o755 });
      return path;
    };
    const wrapper = join(dir, 'mount');
    writeFileSync(wrapper, kubeletMountWrapper({ mount: record('machine-mount'), nfsClient: record('nfs-fuse'), kernelHasNfs: kernelHasNfs ? 'true' : 'false' }), { mode: 0o755 });
    const res = spawnSync(wrapper, args, { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    return { ran: readFileSync(join(dir, 'ran'), 'utf8').trim(), args: readFileSync(join(dir, 'args'), 'utf8').split('\n').slice(0, -1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kubeletMountWrapper', () => {
  const nfs = ['-t', 'nfs', '-o', 'nfsvers=4.1,hard', '10.0.0.5:/exports/a', '/var/lib/kubelet/pods/x/volumes/kubernetes.io~nfs/export'];
  const cases: [string, string[], boolean, { ran: string; args: string[] }][] = [
    ['NFS without a kernel client: the FUSE client, as mount.nfs', nfs, false,
      { ran: 'nfs-fuse', args: ['10.0.0.5:/exports/a', '/var/lib/kubelet/pods/x/volumes/kubernetes.io~nfs/export', '-o', 'nfsvers=4.1,hard'] }],
    ['nfs4 too', ['-t', 'nfs4', 's:/e', '/t'], false, { ran: 'nfs-fuse', args: ['s:/e', '/t'] }],
    ['options given twice are joined', ['-t', 'nfs', '-o', 'ro', '-o', 'port=2049', 's:/e', '/t'], false, { ran: 'nfs-fuse', args: ['s:/e', '/t', '-o', 'ro,port=2049'] }],
    ['NFS with a kernel client: the machine\'s mount, untouched', nfs, true, { ran: 'machine-mount', args: nfs }],
    ['a bind mount: the machine\'s mount', ['-o', 'bind', '/a', '/b'], false, { ran: 'machine-mount', args: ['-o', 'bind', '/a', '/b'] }],
    ['tmpfs with flags: the machine\'s mount', ['--no-canonicalize', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', '/t'], false,
      { ran: 'machine-mount', args: ['--no-canonicalize', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', '/t'] }],
  ];
  for (const [name, args, kernel, want] of cases) test(name, () => assert.deepEqual(dispatch(args, kernel), want));
});
