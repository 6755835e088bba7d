// A private, lean control plane (etcd + kube-apiserver only) started with the library: restarting the
// API server and compacting etcd both work, and stop() leaves no process behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest, test } from '@jest/globals';
import { startControlPlane, type ControlPlane } from '../../src/testing/index.ts';
import { connection, kubeRequest } from '../support/kube.ts';

jest.setTimeout(240_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The first chunk of a watch response: a 410 status or the first event line. */
function watchStart(kubeconfig: string, path: string): Promise<{ status: number; first: string }> {
  const conn = connection(kubeconfig);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, conn.server),
      { ca: conn.ca, cert: conn.cert, key: conn.key, agent: false, timeout: 10_000 },
      (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          if (res.statusCode !== 200 || buf.includes('\n')) {
            resolve({ status: res.statusCode ?? 0, first: buf.split('\n')[0] ?? '' });
            req.destroy();
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, first: buf.split('\n')[0] ?? '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`watch ${path}: no data within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

test('lean control plane: apiserver restart, etcd compaction, clean stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-cp-'));
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ dir, kwok: false, controllerManager: false, scheduler: false });
    const kubeconfig = cp.kubeconfigPath;
    assert.equal(kubeconfig, join(dir, 'kubeconfig'));
    assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(Object.keys(cp.pids()).sort(), ['etcd', 'kube-apiserver']);

    const cmPath = '/api/v1/namespaces/default/configmaps';
    const created = await kubeRequest('POST', cmPath, {
      kubeconfig,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' }, data: { n: '0' } },
    });
    assert.equal(created.status, 201, created.text);
    const oldRv = created.body.metadata.resourceVersion as string;
    for (let n = 1; n <= 3; n++) {
      const res = await kubeRequest('PATCH', `${cmPath}/probe`, {
        kubeconfig,
        body: { data: { n: String(n) } },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(res.status, 200, res.text);
    }
    const exactOld = `${cmPath}?resourceVersion=${oldRv}&resourceVersionMatch=Exact`;
    const before = await kubeRequest('GET', exactOld, { kubeconfig });
    assert.equal(before.status, 200, `list at the old resourceVersion before compaction: ${before.text}`);

    const revision = await cp.compactEtcd();
    assert.ok(revision > Number(oldRv), `compacted at ${revision} > ${oldRv}`);

    const oldPid = cp.pids()['kube-apiserver'];
    assert.ok(oldPid);
    await cp.restartApiserver();
    const newPid = cp.pids()['kube-apiserver'];
    assert.ok(newPid && newPid !== oldPid, 'a new kube-apiserver process');
    assert.equal(alive(oldPid), false, 'the old kube-apiserver is gone');

    // Data survived the restart.
    const cm = await kubeRequest('GET', `${cmPath}/probe`, { kubeconfig });
    assert.equal(cm.status, 200);
    assert.equal(cm.body.data.n, '3');

    // The old revision is compacted away in etcd: an exact read there is 410 Gone now …
    const after = await kubeRequest('GET', exactOld, { kubeconfig });
    assert.equal(after.status, 410, `list at a compacted resourceVersion: ${after.text}`);
    assert.equal(after.body.reason, 'Expired');
    // … and so is a watch from it.
    const watch = await watchStart(kubeconfig, `${cmPath}?watch=1&resourceVersion=${oldRv}`);
    if (watch.status === 200) {
      const event = JSON.parse(watch.first);
      assert.equal(event.type, 'ERROR');
      assert.equal(event.object.code, 410);
    } else {
      assert.equal(watch.status, 410);
    }
    // The current state still lists and watches fine.
    const current = await kubeRequest('GET', cmPath, { kubeconfig });
    assert.equal(current.status, 200);
    const fresh = await watchStart(kubeconfig, `${cmPath}?watch=1&resourceVersion=${current.body.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=1`);
    assert.equal(fresh.status, 200);

    // stop() ends every process.
    const pids = Object.values(cp.pids());
    assert.equal(pids.length, 2);
    await cp.stop();
    cp = undefined;
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} gone after stop()`);
  } finally {
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
