// NFS for real: nfs-subdir-external-provisioner's walkthrough on the real node, against the NFS-Ganesha
// server beside it (hack/cluster/nfs-server.ts). The chart's operator runs each NFSProvisioner's agent
// Deployment; the kubelet mounts the export for the agent and every volume for the pods (through
// tentacle-nfs-fuse where the kernel has no NFS client). What the pods write is checked on the server's
// disk. The steps build on each other, so they run in order in this one file, the outage last.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setNfsServerRunning } from '../../hack/cluster/real-node.ts';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { REPO } from '../e2e/support.ts';
import { apply, condition, events, example, isReady, logs, nfsServer, OPERATOR_NAMESPACE, pods, realNode } from './support.ts';

const MANAGED = 'managed-nfs-storage';
const OUTAGE_MS = 30_000;

/** The README's NFS section, as a user types it after `make dev-real`. */
function readmeNfsBlock(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### NFS on the real node'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no sh block under "### NFS on the real node"');
  return block;
}

/** A directory's entries, sorted, as an array of this test's realm (Jest's deepEqual tells realms apart). */
function list(dir: string): string[] {
  return [...readdirSync(dir)].sort();
}

async function provisioner(name: string): Promise<any> {
  return kubectlJson(['get', 'tnfs', name]);
}

/** Waits until every condition of the NFSProvisioner `name` in `want` has the status given. */
async function waitForConditions(name: string, want: Record<string, string>, timeoutMs = 240_000): Promise<any> {
  return waitFor(
    async () => {
      const p = await provisioner(name);
      return Object.entries(want).every(([type, status]) => condition(p, type)?.status === status) ? p : undefined;
    },
    { timeoutMs, intervalMs: 1000, what: `NFSProvisioner ${name} ${JSON.stringify(want)}` },
  );
}

async function boundClaim(ns: string, name: string, timeoutMs = 120_000): Promise<any> {
  return waitFor(
    async () => {
      const c = await kubectlJson(['get', 'pvc', '-n', ns, name]);
      return c.status?.phase === 'Bound' ? c : undefined;
    },
    { timeoutMs, intervalMs: 1000, what: `claim ${ns}/${name} Bound` },
  );
}

/** The directory of a bound claim's volume on the server's disk (from the PV's NFS path). */
async function volumeDir(claim: any): Promise<string> {
  const pv = await kubectlJson(['get', 'pv', claim.spec.volumeName]);
  const { path, exportDir } = nfsServer();
  assert.ok(pv.spec.nfs.path.startsWith(`${path}/`), pv.spec.nfs.path);
  return join(exportDir, pv.spec.nfs.path.slice(path.length + 1));
}

function nfsProvisioner(name: string, spec: Record<string, unknown>): unknown {
  const { server, path } = nfsServer();
  return { apiVersion: 'storage.tentacle.dev/v1alpha1', kind: 'NFSProvisioner', metadata: { name }, spec: { server, path, ...spec } };
}

function claim(name: string, className: string, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, ...extra },
    spec: { storageClassName: className, accessModes: ['ReadWriteMany'], resources: { requests: { storage: '100Mi' } } },
  };
}

/** busybox running `script` with `claimName` mounted at `mountPath`. */
function podSpec(script: string, claimName: string, mountPath = '/mnt'): Record<string, unknown> {
  return {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath }] }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
  };
}

/** FUSE NFS mounts of the kubelet for the pods with these uids (none once the kubelet unmounted them). */
function podNfsMounts(uids: string[]): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - (fuse\.tentacle-nfs|nfs4?) /.test(l) && uids.some((u) => l.includes(`/pods/${u}/`)))
    .map((l) => l.split(' ')[4]!);
}

describe('NFS for real: the provisioner on NFS-Ganesha, volumes mounted by the kubelet', () => {
  const namespace = useNamespace('rn-nfs');
  let ns = '';
  const provisioners = [MANAGED, 'nfs-archive', 'nfs-delete', 'nfs-owners', 'nfs-owners-denied', 'nfs-outage'];
  beforeAll(() => {
    ns = namespace.name;
  });
  afterAll(async () => {
    await kubectl(['delete', 'pod', 'test-pod', '-n', 'default', '--ignore-not-found', '--wait=false']);
    await kubectl(['delete', 'pvc', 'test-claim', '-n', 'default', '--ignore-not-found', '--wait=false']);
    await kubectl(['delete', 'tnfs', ...provisioners, '--ignore-not-found', '--wait=false']);
  });

  test('the README\'s NFS section: a Bound claim whose file shows up in the export on the server\'s disk', async () => {
    // As typed after `make dev-real` in the checkout: .dev there is this run's directory.
    const cwd = mkdtempSync(join(tmpdir(), 'readme-nfs-'));
    try {
      symlinkSync(process.env.TENTACLE_REAL_NODE_DIR!, join(cwd, '.dev'));
      symlinkSync(join(REPO, 'examples'), join(cwd, 'examples'));
      const res = spawnSync('bash', ['-euo', 'pipefail', '-c', readmeNfsBlock()], {
        cwd,
        encoding: 'utf8',
        timeout: 600_000,
        env: { ...process.env, PATH: `${join(REPO, 'bin')}:${process.env.PATH}` },
      });
      assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
      assert.match(res.stdout, /^SUCCESS$/m);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
    const claimDir = readdirSync(nfsServer().exportDir).find((d) => d.startsWith('default-test-claim-pvc-'));
    assert.ok(claimDir && existsSync(join(nfsServer().exportDir, claimDir, 'SUCCESS')));
  });

  test('the agent mounts the export through the kubelet on the real node: AgentReady, ExportReachable and Ready', async () => {
    const p = await waitForConditions(MANAGED, { AgentReady: 'True', ExportReachable: 'True', Ready: 'True' });
    assert.equal(condition(p, 'AgentReady').reason, 'AgentAvailable');
    const [agent] = await pods(OPERATOR_NAMESPACE, `storage.tentacle.dev/nfs-agent=${p.status.agentDeployment}`);
    assert.equal(agent.spec.nodeName, realNode().name);
    assert.deepEqual(agent.spec.volumes.find((v: any) => v.nfs).nfs, { server: nfsServer().server, path: nfsServer().path });
    assert.equal(agent.spec.securityContext.runAsUser, 65532);
  });

  test('test-claim, mounted by 2 busybox replicas that each touch SUCCESS-<pod>: both files in the claim\'s directory on the server', async () => {
    await apply(example('storage/test-claim.yaml'), ns);
    const dir = await volumeDir(await boundClaim(ns, 'test-claim'));
    assert.match(dir, new RegExp(`/${ns}-test-claim-pvc-[0-9a-f-]+$`));
    await apply(
      [{
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'writers' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'writers' } },
          template: { metadata: { labels: { app: 'writers' } }, spec: podSpec('touch /mnt/SUCCESS-$(hostname) && exec sleep 3600', 'test-claim') },
        },
      }],
      ns,
    );
    const running = await waitFor(async () => {
      const list = await pods(ns, 'app=writers');
      return list.length === 2 && list.every(isReady) ? list : undefined;
    }, { timeoutMs: 180_000, intervalMs: 1000, what: 'two writers running' });
    for (const pod of running) {
      await waitFor(() => existsSync(join(dir, `SUCCESS-${pod.metadata.name}`)), { timeoutMs: 30_000, what: `SUCCESS-${pod.metadata.name} on the server` });
    }
    // Deleted, the pods' volumes are unmounted by the kubelet, and their clients end.
    const uids = running.map((p) => p.metadata.uid as string);
    assert.equal(podNfsMounts(uids).length, 2);
    await kubectl(['delete', 'deployment', 'writers', '-n', ns, '--wait=true', '--timeout=120s']);
    await waitFor(async () => (await pods(ns, 'app=writers')).length === 0, { timeoutMs: 120_000, what: 'writers gone' });
    await waitFor(() => podNfsMounts(uids).length === 0, { timeoutMs: 60_000, what: 'the writers\' NFS mounts unmounted' });
    await waitFor(() => uids.every((u) => !spawnSync('pgrep', ['-f', `pods/${u}/`]).stdout.length), { timeoutMs: 30_000, what: 'their NFS clients gone' });
  });

  test('our StatefulSet of 3 with a claim template on the class: a directory each with its pod\'s file; scaled to 0 and back, each pod finds its own', async () => {
    const script = 'f=/data/$(hostname); if [ -f $f ]; then echo "found $(cat $f)"; else hostname > $f; echo wrote; fi; exec sleep 3600';
    const set = {
      apiVersion: 'apps.tentacle.dev/v1alpha1',
      kind: 'StatefulSet',
      metadata: { name: 'ordinals' },
      spec: {
        serviceName: 'ordinals',
        replicas: 3,
        selector: { matchLabels: { app: 'ordinals' } },
        template: {
          metadata: { labels: { app: 'ordinals' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          },
        },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { storageClassName: MANAGED, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Mi' } } } },
        ],
      },
    };
    await apply([set], ns);
    const ready = async (n: number) =>
      waitFor(async () => {
        const s = await kubectlJson(['get', 'tsts', '-n', ns, 'ordinals']);
        const list = await pods(ns, 'app=ordinals');
        return (s.status?.readyReplicas ?? 0) === n && list.length === n && list.every(isReady) ? list : undefined;
      }, { timeoutMs: 300_000, intervalMs: 1000, what: `${n} ordinals ready` });
    await ready(3);
    for (const i of [0, 1, 2]) {
      const dir = await volumeDir(await boundClaim(ns, `data-ordinals-${i}`));
      assert.equal(readFileSync(join(dir, `ordinals-${i}`), 'utf8').trim(), `ordinals-${i}`);
      assert.equal((await logs(ns, `ordinals-${i}`)).trim(), 'wrote');
    }
    await kubectl(['scale', 'tsts/ordinals', '-n', ns, '--replicas=0']);
    await waitFor(async () => (await pods(ns, 'app=ordinals')).length === 0, { timeoutMs: 180_000, what: 'scaled to 0' });
    await kubectl(['scale', 'tsts/ordinals', '-n', ns, '--replicas=3']);
    await ready(3);
    for (const i of [0, 1, 2]) assert.equal((await logs(ns, `ordinals-${i}`)).trim(), `found ordinals-${i}`);
    await kubectl(['delete', 'tsts', 'ordinals', '-n', ns, '--wait=false']);
  });

  test('MySQL with its data on NFS: a row written, the pod deleted, the row read by its replacement', async () => {
    await apply(example('storage/mysql-nfs.yaml'), ns);
    const sql = (query: string) => async () => {
      const [pod] = (await pods(ns, 'app=mysql-nfs')).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
      if (!pod) return undefined;
      const out = await kubectl(['exec', '-n', ns, pod.metadata.name, '--', 'mysql', '-h', '127.0.0.1', '-uroot', '-ppassword', '-N', '-e', query]).catch(() => undefined);
      return out === undefined ? undefined : { pod: pod.metadata.uid as string, out };
    };
    const first = await waitFor(sql('CREATE DATABASE IF NOT EXISTS walk; CREATE TABLE IF NOT EXISTS walk.t (v VARCHAR(64)); INSERT INTO walk.t VALUES (\'on nfs\')'), {
      timeoutMs: 300_000,
      intervalMs: 2000,
      what: 'MySQL answering and the row written',
    });
    const dir = await volumeDir(await boundClaim(ns, 'mysql-pv-claim'));
    assert.ok(existsSync(join(dir, 'walk')), 'the database directory is on the server');
    await kubectl(['delete', 'pod', '-n', ns, '-l', 'app=mysql-nfs', '--wait=true', '--timeout=120s']);
    const second = await waitFor(async () => {
      const r = await sql('SELECT v FROM walk.t')();
      return r && r.pod !== first.pod ? r : undefined;
    }, { timeoutMs: 300_000, intervalMs: 2000, what: 'the replacement reading the row' });
    assert.equal(second.out.trim(), 'on nfs');
    await kubectl(['delete', 'deployment', 'mysql-nfs', '-n', ns, '--wait=true', '--timeout=120s']);
  });

  test('deleting claims: Retain keeps the directory; Delete archives it or deletes it per onDelete, with pathPattern sub-directories', async () => {
    const { exportDir } = nfsServer();
    // Retain (managed-nfs-storage): the volume is Released, its directory and files stay.
    const retained = await kubectlJson(['get', 'pvc', '-n', ns, 'test-claim']);
    const retainedDir = await volumeDir(retained);
    await kubectl(['delete', 'pvc', 'test-claim', '-n', ns, '--wait=true', '--timeout=120s']);
    await waitFor(async () => (await kubectlJson(['get', 'pv', retained.spec.volumeName])).status?.phase === 'Released', { timeoutMs: 60_000, what: 'volume Released' });
    assert.ok(readdirSync(retainedDir).some((f) => f.startsWith('SUCCESS-')));

    await apply([
      nfsProvisioner('nfs-archive', { reclaimPolicy: 'Delete', archiveOnDelete: 'true', pathPattern: '${.PVC.namespace}/${.PVC.name}' }),
      nfsProvisioner('nfs-delete', { reclaimPolicy: 'Delete', onDelete: 'delete', pathPattern: 'application/${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}' }),
    ], ns);
    await waitForConditions('nfs-archive', { Ready: 'True' });
    await waitForConditions('nfs-delete', { Ready: 'True' });
    await apply([claim('kept', 'nfs-archive'), claim('gone', 'nfs-delete', { annotations: { 'nfs.io/storage-path': 'app-data' } })], ns);
    const kept = await boundClaim(ns, 'kept');
    const gone = await boundClaim(ns, 'gone');
    assert.equal(await volumeDir(kept), join(exportDir, ns, 'kept'));
    assert.equal(await volumeDir(gone), join(exportDir, 'application', ns, 'app-data'));
    writeFileSync(join(exportDir, ns, 'kept', 'data'), 'archived with its claim');
    writeFileSync(join(exportDir, 'application', ns, 'app-data', 'data'), 'deleted with its claim');
    await kubectl(['delete', 'pvc', 'kept', 'gone', '-n', ns, '--wait=true', '--timeout=120s']);
    for (const c of [kept, gone]) {
      await waitFor(async () => !(await kubectlJson(['get', 'pv', c.spec.volumeName]).catch(() => undefined)), { timeoutMs: 120_000, what: `${c.spec.volumeName} reclaimed` });
    }
    // Archived in its own parent, once; deleted with nothing else touched (the parents stay).
    assert.deepEqual(list(join(exportDir, ns)).filter((d) => d.includes('kept')), ['archived-kept']);
    assert.equal(readFileSync(join(exportDir, ns, 'archived-kept', 'data'), 'utf8'), 'archived with its claim');
    assert.ok(!existsSync(join(exportDir, 'application', ns, 'app-data')));
    assert.ok(existsSync(join(exportDir, 'application', ns)));
  });

  test('directoryUID/directoryGID with the uid 65532 agent: owners as asked where the server lets it chown, a Warning where not', async () => {
    const { exportDir, path } = nfsServer();
    // A sub-directory of the export, as the agent mounts it: 65532's, group 1234 and set-gid, so that new
    // directories inherit group 1234 and directoryGID 65532 is a real chgrp (the owner to its own group).
    const owners = join(exportDir, `owners-${ns}`);
    mkdirSync(owners);
    chownSync(owners, 65532, 1234);
    chmodSync(owners, 0o2775);
    await apply([
      nfsProvisioner('nfs-owners', { path: `${path}/owners-${ns}`, reclaimPolicy: 'Delete', onDelete: 'delete', directoryUID: 65532, directoryGID: 65532, directoryMode: '0770' }),
      nfsProvisioner('nfs-owners-denied', { path: `${path}/owners-${ns}`, reclaimPolicy: 'Delete', onDelete: 'delete', directoryUID: 1000 }),
    ], ns);
    await waitForConditions('nfs-owners', { Ready: 'True' });
    await waitForConditions('nfs-owners-denied', { Ready: 'True' });
    await apply([claim('owned', 'nfs-owners'), claim('not-owned', 'nfs-owners-denied')], ns);
    const owned = statSync(await volumeDir(await boundClaim(ns, 'owned')));
    assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o7777], [65532, 65532, 0o770]);
    const notOwned = statSync(await volumeDir(await boundClaim(ns, 'not-owned')));
    assert.deepEqual([notOwned.uid, notOwned.gid], [65532, 1234], 'the server refused the chown; the directory stays as created');
    const warning = await waitFor(async () => (await events(ns, 'not-owned')).find((e) => e.reason === 'ProvisioningWarning'), { timeoutMs: 60_000, what: 'ProvisioningWarning' });
    assert.match(warning.message ?? warning.note, /not permitted to give .* owner 1000:-1/);
    await kubectl(['delete', 'pvc', 'owned', 'not-owned', '-n', ns, '--wait=true', '--timeout=120s']);
  });

  test(`the NFS server stopped for ${OUTAGE_MS / 1000} s while claims are created and deleted: reported, then nothing lost or done twice, no restart`, async () => {
    const { exportDir } = nfsServer();
    const dir = process.env.TENTACLE_REAL_NODE_DIR!;
    await apply([nfsProvisioner('nfs-outage', { reclaimPolicy: 'Delete', archiveOnDelete: 'true', pathPattern: '${.PVC.namespace}/outage/${.PVC.name}' })], ns);
    const ready = await waitForConditions('nfs-outage', { AgentReady: 'True', ExportReachable: 'True', Ready: 'True' });
    const [agentBefore] = await pods(OPERATOR_NAMESPACE, `storage.tentacle.dev/nfs-agent=${ready.status.agentDeployment}`);
    await apply(['a', 'b', 'c'].map((n) => claim(`before-${n}`, 'nfs-outage')), ns);
    const before = await Promise.all(['a', 'b', 'c'].map((n) => boundClaim(ns, `before-${n}`)));

    await setNfsServerRunning(dir, false);
    const stoppedAt = Date.now();
    try {
      await apply(['1', '2', '3', '4', '5'].map((n) => claim(`during-${n}`, 'nfs-outage')), ns);
      await kubectl(['delete', 'pvc', 'before-a', 'before-b', '-n', ns, '--wait=false']);
      // A provisioning kept waiting says so on its claim.
      await waitFor(async () => (await events(ns, 'during-1')).some((e) => e.reason === 'Provisioning'), { timeoutMs: OUTAGE_MS, what: 'Provisioning on a waiting claim' });
      const down = await waitForConditions('nfs-outage', { ExportReachable: 'False', Ready: 'False' }, OUTAGE_MS);
      assert.equal(condition(down, 'ExportReachable').reason, 'ExportNotResponding');
      assert.equal(condition(down, 'Ready').reason, 'ExportNotResponding');
      const warning = (await kubectlJson(['get', 'events', '-A', '--field-selector', 'reason=ExportNotResponding'])).items.find((e: any) => e.regarding?.name === 'nfs-outage' || e.involvedObject?.name === 'nfs-outage');
      assert.ok(warning, 'a Warning event ExportNotResponding on the NFSProvisioner');
      assert.equal(warning.type, 'Warning');
      // The outage lasts its full time, whatever was seen meanwhile.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + OUTAGE_MS - Date.now())));
    } finally {
      await setNfsServerRunning(dir, true);
    }

    await waitForConditions('nfs-outage', { ExportReachable: 'True', Ready: 'True' }, 120_000);
    const during = await Promise.all(['1', '2', '3', '4', '5'].map((n) => boundClaim(ns, `during-${n}`, 240_000)));
    for (const c of [...before.slice(0, 2)]) {
      await waitFor(async () => !(await kubectlJson(['get', 'pv', c.spec.volumeName]).catch(() => undefined)), { timeoutMs: 240_000, what: `${c.spec.volumeName} reclaimed` });
    }
    // Every claim Bound once: one volume each, named after it; every released directory archived once.
    const volumes = (await kubectlJson(['get', 'pv'])).items.filter((pv: any) => pv.metadata.annotations?.['storage.tentacle.dev/provisioner'] === 'nfs-outage' || pv.spec.storageClassName === 'nfs-outage');
    assert.deepEqual(volumes.map((v: any) => v.spec.claimRef.name).sort(), ['before-c', 'during-1', 'during-2', 'during-3', 'during-4', 'during-5']);
    for (const c of [...during, before[2]]) assert.equal(c.spec.volumeName, `pvc-${c.metadata.uid}`);
    assert.deepEqual(list(join(exportDir, ns, 'outage')), [
      'archived-before-a', 'archived-before-b', 'before-c', 'during-1', 'during-2', 'during-3', 'during-4', 'during-5',
    ]);
    const back = (await kubectlJson(['get', 'events', '-A', '--field-selector', 'reason=ExportResponding'])).items;
    assert.ok(back.some((e: any) => (e.regarding?.name ?? e.involvedObject?.name) === 'nfs-outage'), 'a Normal event ExportResponding when it is back');
    // The same agent pod throughout, never restarted.
    const [agentAfter] = await pods(OPERATOR_NAMESPACE, `storage.tentacle.dev/nfs-agent=${ready.status.agentDeployment}`);
    assert.equal(agentAfter.metadata.uid, agentBefore.metadata.uid);
    assert.equal(agentAfter.status.containerStatuses[0].restartCount, 0);
  });
});
