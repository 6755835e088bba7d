// The NFS provisioner as users run it: the operator process in local mode (exports are directories of
// this machine), the real PV binder of kube-controller-manager binding what it provisions, and our
// StatefulSet making claims from templates. Last, cluster mode: only the agent Deployment's shape.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import yaml from 'js-yaml';
import type { Client } from '../../src/runtime/client/client.ts';
import { STATEFULSET } from '../../src/api/apps/types.ts';
import { DEPLOYMENT, PV, PVC, STORAGE_CLASS } from '../../src/api/core/types.ts';
import type { Deployment, PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../src/api/core/types.ts';
import { NFS_PROVISIONER, type NFSProvisioner, type NFSProvisionerSpec } from '../../src/api/storage/types.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { reconciledAfterNow, reconcileLines } from '../support/reconciles.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { metricSum, scrape } from '../support/metrics-text.ts';

jest.setTimeout(600_000);

/** A directory's entry names in an array of this file's realm (readdirSync's are Node's under Jest). */
const listDir = (dir: string): string[] => [...readdirSync(dir)];

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };
type Ev = { metadata: object; reason: string; note?: string; type: string; regarding: { name: string; kind: string } };

describe('NFS provisioner (local mode)', () => {
  let client: Client;
  let namespace: string;
  let exportsDir: string;
  let operator: OperatorProcess;
  const suffix = randomBytes(3).toString('hex');
  const provisioners: string[] = [];
  // Debug: the operator's log then has a line per reconcile, which reconciledAfterNow reads.
  const args = () => ['--controllers=statefulset,nfs', `--nfs-local-exports=${exportsDir}`, `--namespace=${namespace}`, '--log-level=debug'];

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'nfs');
    exportsDir = mkdtempSync(join(tmpdir(), 'tentacle-nfs-'));
    operator = await runOperator(args());
  });

  afterAll(async () => {
    if (operator && operator.child.exitCode === null) assert.equal(await operator.stop(), 0, operator.output().slice(-3000));
    await deleteNamespace(client, namespace);
    // Volumes left by the tests (Retain ones, or those of the namespace's claims).
    for (const pv of (await client.list<PersistentVolume>(PV)).items) {
      if (provisioners.includes(pv.metadata.annotations?.['storage.tentacle.dev/provisioner'] ?? '')) {
        if (pv.metadata.finalizers?.length) await client.patch(PV, '', pv.metadata.name!, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
        await client.delete(PV, '', pv.metadata.name!);
      }
    }
    for (const name of provisioners) await client.delete(NFS_PROVISIONER, '', name);
    rmSync(exportsDir, { recursive: true, force: true });
    await client.close();
  });

  async function provisioner(base: string, spec: Partial<NFSProvisionerSpec> = {}): Promise<{ name: string; root: string }> {
    const name = `${base}-${suffix}`;
    provisioners.push(name);
    await client.create<NFSProvisioner>({
      apiVersion: 'storage.tentacle.dev/v1alpha1',
      kind: 'NFSProvisioner',
      metadata: { name },
      spec: { server: 'nfs.example.test', path: '/srv/nfs', ...spec },
    });
    await waitFor(async () => (await client.find<StorageClass>(STORAGE_CLASS, '', spec.storageClassName ?? name)) !== undefined, { what: `StorageClass ${name}` });
    const root = join(exportsDir, name);
    await waitFor(() => existsSync(root), { what: `export root ${root}` });
    return { name, root };
  }

  async function claim(name: string, className: string, extra: { annotations?: Record<string, string>; spec?: object; storage?: string } = {}): Promise<PersistentVolumeClaim> {
    return client.create<PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: className, resources: { requests: { storage: extra.storage ?? '1Gi' } }, ...extra.spec },
    });
  }

  const bound = (name: string) =>
    waitFor(async () => {
      const c = await client.get<PersistentVolumeClaim>(PVC, namespace, name);
      return c.status?.phase === 'Bound' ? c : undefined;
    }, { what: `claim ${name} Bound`, timeoutMs: 60_000 });

  const events = async (regarding: string) =>
    (await client.list<Ev>(EVENTS, { namespace })).items.filter((e) => e.regarding.name === regarding);

  const failedWith = (claimName: string, pattern: RegExp) =>
    waitFor(async () => (await events(claimName)).find((e) => e.reason === 'ProvisioningFailed' && pattern.test(e.note ?? '')), {
      what: `ProvisioningFailed ${pattern} on ${claimName}`,
    });

  test('a claim of the class becomes Bound to a PV whose NFS path is the directory that now exists', async () => {
    const { name, root } = await provisioner('basic', { mountOptions: ['nfsvers=4.1'] });
    const sc = await client.get<StorageClass>(STORAGE_CLASS, '', name);
    assert.equal(sc.provisioner, 'tentacle.dev/nfs');
    assert.equal(sc.parameters?.nfsProvisioner, name);
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.metadata.ownerReferences?.[0]?.kind, 'NFSProvisioner');
    const created = await claim('data', name, { storage: '3Gi' });
    const c = await bound('data');
    const pv = await client.get<PersistentVolume>(PV, '', c.spec.volumeName!);
    const dir = `${namespace}-data-${pv.metadata.name}`;
    assert.equal(pv.metadata.name, `pvc-${created.metadata.uid}`);
    assert.deepEqual(pv.spec.nfs, { server: 'nfs.example.test', path: `/srv/nfs/${dir}` });
    assert.equal(pv.spec.capacity?.storage, '3Gi');
    assert.deepEqual(pv.spec.accessModes, ['ReadWriteMany']);
    assert.deepEqual(pv.spec.mountOptions, ['nfsvers=4.1']);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.spec.claimRef?.uid, created.metadata.uid);
    assert.equal(pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'tentacle.dev/nfs');
    assert.ok(existsSync(join(root, dir)), 'the volume directory exists');
    const reasons = (await events('data')).map((e) => e.reason);
    assert.ok(reasons.includes('ProvisioningSucceeded'), reasons.join());
    const p = await waitFor(async () => {
      const p = await client.get<NFSProvisioner>(NFS_PROVISIONER, '', name);
      return p.status?.boundVolumes === 1 ? p : undefined;
    }, { what: 'status counts' });
    assert.equal(p.status?.volumes, 1);
    assert.equal(p.status?.storageClassName, name);
    const ready = p.status?.conditions?.find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'True', JSON.stringify(p.status));
    assert.equal(p.status?.conditions?.find((x) => x.type === 'AgentReady')?.reason, 'LocalMode');
  });

  test('a free PV of the class is left to the PV controller: the claim binds to it, nothing is provisioned', async () => {
    const { name } = await provisioner('static');
    const staticName = `static-${suffix}`;
    await client.create<PersistentVolume>({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: staticName },
      spec: {
        storageClassName: name, capacity: { storage: '2Gi' }, accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain', nfs: { server: 'nfs.example.test', path: '/srv/static' },
      },
    });
    try {
      await waitFor(async () => (await client.get<PersistentVolume>(PV, '', staticName)).status?.phase === 'Available', { what: `${staticName} Available` });
      const created = await claim('takes-static', name);
      const c = await bound('takes-static');
      assert.equal(c.spec.volumeName, staticName);
      // The claims controller has reconciled the claim (its create): had it provisioned, the PV would
      // exist by now. Which reason it logged depends on how far the PV controller had got (the PV free,
      // its claimRef written, or the claim bound); the decision's cases are table tests.
      await waitFor(() => reconcileLines(operator.stdout(), { controller: 'nfs-claims', namespace, name: 'takes-static' }).length > 0, {
        what: 'a reconcile of the claim',
      });
      assert.equal(await client.find<PersistentVolume>(PV, '', `pvc-${created.metadata.uid}`), undefined);
      const reasons = (await events('takes-static')).map((e) => e.reason);
      assert.ok(!reasons.some((r) => r.startsWith('Provisioning')), reasons.join());
    } finally {
      await client.delete(PVC, namespace, 'takes-static').catch(() => undefined);
      await client.delete(PV, '', staticName).catch(() => undefined);
    }
  });

  test('on release: archive renames, delete removes, onDelete retain keeps, reclaim Retain never touches', async () => {
    const cases = [
      { base: 'archive', spec: {}, expect: 'archived' },
      { base: 'delete', spec: { archiveOnDelete: 'false' }, expect: 'deleted' },
      { base: 'keep', spec: { onDelete: 'retain' as const }, expect: 'kept' },
      { base: 'retain', spec: { reclaimPolicy: 'Retain' as const }, expect: 'untouched' },
    ];
    const setups = await Promise.all(
      cases.map(async (c) => {
        const p = await provisioner(c.base, c.spec);
        await claim(`rel-${c.base}`, p.name);
        const cl = await bound(`rel-${c.base}`);
        const dir = `${namespace}-rel-${c.base}-${cl.spec.volumeName}`;
        writeFileSync(join(p.root, dir, 'data.txt'), 'precious');
        return { ...c, ...p, dir, pv: cl.spec.volumeName! };
      }),
    );
    for (const s of setups) await client.delete(PVC, namespace, `rel-${s.base}`);
    for (const s of setups) {
      if (s.expect === 'untouched') {
        await waitFor(async () => (await client.get<PersistentVolume>(PV, '', s.pv)).status?.phase === 'Released', { what: 'Released' });
        await reconciledAfterNow(() => operator.stdout(), client, { controller: 'nfs-volumes', gvk: PV, namespace: '', name: s.pv });
        assert.ok(await client.find(PV, '', s.pv), 'a Retain volume stays');
        assert.ok(existsSync(join(s.root, s.dir, 'data.txt')));
        continue;
      }
      await waitFor(async () => !(await client.find(PV, '', s.pv)), { what: `PV ${s.pv} deleted (${s.base})`, timeoutMs: 60_000 });
      if (s.expect === 'archived') {
        assert.ok(!existsSync(join(s.root, s.dir)));
        assert.ok(existsSync(join(s.root, `archived-${s.dir}`, 'data.txt')), listDir(s.root).join());
      } else if (s.expect === 'deleted') {
        assert.deepEqual(listDir(s.root), []);
      } else {
        assert.ok(existsSync(join(s.root, s.dir, 'data.txt')));
      }
    }
  });

  test('traversal attempts and impossible claims fail safely with an Event and stay Pending', async () => {
    const { name, root } = await provisioner('evil', { pathPattern: '${.PVC.annotations.dir}' });
    const outside = mkdtempSync(join(tmpdir(), 'tentacle-outside-'));
    symlinkSync(outside, join(root, 'planted'));
    mkdirSync(join(root, 'ok'));
    symlinkSync(outside, join(root, 'ok', 'link'));
    const attempts: [string, Record<string, string>, RegExp][] = [
      ['dotdot', { dir: '../../escape' }, /"\.\." path segment/],
      ['dotdot-mid', { dir: 'a/../../../escape' }, /"\.\." path segment/],
      ['absolute', { dir: '/etc/evil' }, /absolute path/],
      ['symlink', { dir: 'planted/x' }, /symbolic link/],
      ['symlink-deep', { dir: 'ok/link' }, /symbolic link/],
      ['newline', { dir: 'a\nb' }, /control character/],
      ['overlong', { dir: 'x'.repeat(300) }, /bytes; the limit is/],
      ['backslash', { dir: '..\\..\\x' }, /backslash/],
    ];
    for (const [n, annotations] of attempts) await claim(`t-${n}`, name, { annotations });
    await claim('t-selector', name, { spec: { selector: { matchLabels: { a: 'b' } } } });
    await claim('t-block', name, { spec: { volumeMode: 'Block' } });
    for (const [n, , pattern] of attempts) await failedWith(`t-${n}`, pattern);
    await failedWith('t-selector', /Selector is not supported/);
    await failedWith('t-block', /volumeMode Block/);
    for (const c of (await client.list<PersistentVolumeClaim>(PVC, { namespace })).items.filter((c) => c.metadata.name!.startsWith('t-'))) {
      assert.equal(c.status?.phase, 'Pending', c.metadata.name);
    }
    assert.deepEqual(listDir(outside), [], 'nothing was created through a symlink');
    assert.deepEqual(listDir(root).sort(), ['ok', 'planted']);
    assert.ok(!existsSync(join(exportsDir, 'escape')) && !existsSync(join(tmpdir(), 'escape')));
    rmSync(outside, { recursive: true, force: true });
  });

  test('admission rejects unsafe or malformed provisioners with readable messages', async () => {
    const bad: [Partial<NFSProvisionerSpec>, RegExp][] = [
      [{ pathPattern: '../${.PVC.name}' }, /pathPattern may not contain a "\.\." segment/],
      [{ pathPattern: '/${.PVC.name}' }, /pathPattern must be relative/],
      [{ path: 'srv/nfs' }, /path must be an absolute path/],
      [{ path: '/srv/../etc' }, /path may not contain a "\.\." segment/],
      [{ server: 'bad host!' }, /server must be a host name/],
      [{ directoryMode: '1777' }, /directoryMode must be octal/],
      [{ archiveRetention: '30d' }, /archiveRetention must be a positive duration/],
    ];
    for (const [spec, message] of bad) {
      await assert.rejects(
        client.create({ apiVersion: 'storage.tentacle.dev/v1alpha1', kind: 'NFSProvisioner', metadata: { name: `bad-${suffix}` }, spec: { server: 'nfs', path: '/x', ...spec } }),
        message,
      );
    }
    // The example manifests are accepted as they are.
    for (const doc of yaml.loadAll(readFileSync('examples/storage/nfs-provisioner.yaml', 'utf8')) as NFSProvisioner[]) {
      await client.create(doc, { dryRun: true });
    }
    const { name } = await provisioner('immutable');
    await assert.rejects(client.patch(NFS_PROVISIONER, '', name, { spec: { server: 'other' } }, 'merge'), /server is immutable/);
  });

  test('a StatefulSet with volumeClaimTemplates of the class gets one volume per ordinal', async () => {
    const { name, root } = await provisioner('sts');
    await client.create({
      apiVersion: 'apps.tentacle.dev/v1alpha1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace },
      spec: {
        replicas: 3,
        podManagementPolicy: 'Parallel',
        serviceName: 'web',
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: name, resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    const volumes = new Set<string>();
    for (const i of [0, 1, 2]) volumes.add((await bound(`www-web-${i}`)).spec.volumeName!);
    assert.equal(volumes.size, 3);
    const dirs = listDir(root).sort();
    assert.deepEqual(dirs, [0, 1, 2].map((i) => dirs.find((d) => d.startsWith(`${namespace}-www-web-${i}-pvc-`))).sort());
    await client.delete(STATEFULSET, namespace, 'web');
  });

  test('a claim that grows grows its volume (no quota on NFS: the size is recorded)', async () => {
    const { name } = await provisioner('grow', { allowVolumeExpansion: true });
    await claim('grow', name);
    const c = await bound('grow');
    await client.patch(PVC, namespace, 'grow', { spec: { resources: { requests: { storage: '5Gi' } } } }, 'merge');
    await waitFor(async () => (await client.get<PersistentVolume>(PV, '', c.spec.volumeName!)).spec.capacity?.storage === '5Gi', { what: 'PV 5Gi' });
    await waitFor(async () => (await client.get<PersistentVolumeClaim>(PVC, namespace, 'grow')).status?.capacity?.storage === '5Gi', { what: 'claim status 5Gi' });
    await waitFor(async () => (await events('grow')).some((e) => e.reason === 'VolumeResizeSuccessful'), { what: 'VolumeResizeSuccessful' });
  });

  test('used bytes per volume are a gauge; expired archives are removed', async () => {
    const { name, root } = await provisioner('usage', { pathPattern: '${.PVC.namespace}-${.PVC.name}', archiveRetention: '2s' });
    mkdirSync(join(root, `${namespace}-used`), { recursive: true });
    writeFileSync(join(root, `${namespace}-used`, 'blob'), Buffer.alloc(12345));
    await claim('used', name);
    await bound('used');
    const used = await waitFor(async () => metricSum(await scrape(operator.metricsPort), 'tentacle_nfs_volume_used_bytes', 'claim="used"'), {
      what: 'usage gauge',
      timeoutMs: 30_000,
    });
    assert.equal(used, 12345);
    await client.delete(PVC, namespace, 'used');
    await waitFor(() => existsSync(join(root, `archived-${namespace}-used`)), { what: 'archived' });
    await waitFor(() => listDir(root).length === 0, { what: 'expired archive removed', timeoutMs: 20_000 });
  });

  test('provisioning survives kill -9 mid-way: exactly one PV per claim, no stray directory', async () => {
    const { name, root } = await provisioner('restart');
    const n = 30;
    await Promise.all(Array.from({ length: n }, (_, i) => claim(`r-${i}`, name)));
    // Kill as soon as some, not all, volumes exist.
    await waitFor(async () => listDir(root).length >= 3, { what: 'first directories', timeoutMs: 60_000, intervalMs: 20 });
    await operator.kill();
    const atKill = listDir(root).length;
    const pvsAtKill = (await client.list<PersistentVolume>(PV)).items.filter((v) => v.metadata.annotations?.['storage.tentacle.dev/provisioner'] === name).length;
    console.log(`killed with ${atKill} directories and ${pvsAtKill} volumes of ${n}`);
    operator = await runOperator(args());
    for (let i = 0; i < n; i++) await bound(`r-${i}`);
    const pvs = (await client.list<PersistentVolume>(PV)).items.filter((v) => v.metadata.annotations?.['storage.tentacle.dev/provisioner'] === name);
    assert.equal(pvs.length, n, 'one PV per claim');
    assert.equal(new Set(pvs.map((v) => v.spec.claimRef?.name)).size, n);
    const pvDirs = pvs.map((v) => v.spec.nfs!.path.replace('/srv/nfs/', '')).sort();
    assert.deepEqual(listDir(root).sort(), pvDirs, 'directories are exactly those of the PVs');
  });
});

describe('NFS provisioner (cluster mode: the agent Deployment, and the agent itself)', () => {
  test('each NFSProvisioner gets an owned agent Deployment mounting server:path', async () => {
    const client = await testClient();
    const namespace = await testNamespace(client, 'nfs-op');
    const name = `agent-${randomBytes(3).toString('hex')}`;
    const op = await runOperator([
      '--controllers=nfs',
      '--nfs-agent-image=example.test/tentacle:dev',
      '--nfs-agent-service-account=tentacle-nfs-agent',
      `--leader-election-namespace=${namespace}`,
    ]);
    try {
      await client.create<NFSProvisioner>({ apiVersion: 'storage.tentacle.dev/v1alpha1', kind: 'NFSProvisioner', metadata: { name }, spec: { server: '10.0.0.5', path: '/exports/k8s' } });
      const d = await waitFor(() => client.find<Deployment>(DEPLOYMENT, namespace, `tentacle-nfs-${name}`), { what: 'agent Deployment' });
      assert.equal(d.metadata.ownerReferences?.[0]?.name, name);
      assert.equal(d.spec.replicas, 1);
      assert.equal(d.spec.strategy?.type, 'Recreate');
      const pod = d.spec.template.spec;
      assert.equal(pod.serviceAccountName, 'tentacle-nfs-agent');
      assert.deepEqual(pod.volumes?.find((v) => v.name === 'export')?.nfs, { server: '10.0.0.5', path: '/exports/k8s' });
      const c = pod.containers[0]!;
      assert.equal(c.image, 'example.test/tentacle:dev');
      for (const a of ['--controllers=nfs-agent', `--nfs-provisioner=${name}`, '--nfs-export-root=/export', '--leader-elect', `--leader-election-id=tentacle-nfs-${name}`]) {
        assert.ok(c.args?.includes(a), a);
      }
      const p = await waitFor(async () => {
        const p = await client.get<NFSProvisioner>(NFS_PROVISIONER, '', name);
        return p.status?.conditions?.find((x) => x.type === 'AgentReady') ? p : undefined;
      }, { what: 'AgentReady condition' });
      // kwok may or may not get a simulated agent pod running (the service account does not exist here).
      assert.ok(['AgentAvailable', 'AgentNotReady', 'Deploying'].includes(p.status?.conditions?.find((x) => x.type === 'AgentReady')?.reason ?? ''));
      assert.equal(p.status?.agentDeployment, `tentacle-nfs-${name}`);

      // What the agent pod runs, as a process here: the nfs-agent controller on a mounted export.
      const exportRoot = mkdtempSync(join(tmpdir(), 'tentacle-agent-'));
      const agent = await runOperator(['--controllers=nfs-agent', `--nfs-provisioner=${name}`, `--nfs-export-root=${exportRoot}`, `--namespace=${namespace}`]);
      try {
        await client.create<PersistentVolumeClaim>({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'via-agent', namespace },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: name, resources: { requests: { storage: '1Gi' } } },
        });
        const c = await waitFor(async () => {
          const c = await client.get<PersistentVolumeClaim>(PVC, namespace, 'via-agent');
          return c.status?.phase === 'Bound' ? c : undefined;
        }, { what: 'claim bound by the agent', timeoutMs: 60_000 });
        const pv = await client.get<PersistentVolume>(PV, '', c.spec.volumeName!);
        assert.equal(pv.spec.nfs?.path, `/exports/k8s/${namespace}-via-agent-${pv.metadata.name}`);
        assert.ok(existsSync(join(exportRoot, `${namespace}-via-agent-${pv.metadata.name}`)));
        await client.delete(PVC, namespace, 'via-agent');
        await waitFor(async () => !(await client.find(PV, '', pv.metadata.name!)), { what: 'volume reclaimed by the agent' });
        assert.deepEqual(listDir(exportRoot), [`archived-${namespace}-via-agent-${pv.metadata.name}`]);
      } finally {
        assert.equal(await agent.stop(), 0, agent.output().slice(-2000));
        rmSync(exportRoot, { recursive: true, force: true });
      }
    } finally {
      assert.equal(await op.stop(), 0, op.output().slice(-2000));
      await client.delete(NFS_PROVISIONER, '', name);
      await deleteNamespace(client, namespace);
      await client.close();
    }
  });
});
