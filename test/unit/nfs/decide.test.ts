import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Deployment, StorageClass } from '../../../src/api/core/types.ts';
import type { NFSProvisioner, NFSProvisionerStatus } from '../../../src/api/storage/types.ts';
import type { Condition } from '../../../src/runtime/types.ts';
import { agentName, agentNeedsUpdate, desiredAgentDeployment } from '../../../src/controllers/nfs/agent.ts';
import { resolveConfig } from '../../../src/controllers/nfs/config.ts';
import { decideStatus, decideStorageClass, desiredStorageClass, statusWriteDelay, warningsFor } from '../../../src/controllers/nfs/decide.ts';

const p = (spec: Partial<NFSProvisioner['spec']> = {}): NFSProvisioner => ({
  metadata: { name: 'nfs1', uid: 'p-uid', generation: 2 },
  spec: { server: 'nfs.local', path: '/srv/nfs', ...spec },
});
const now = '2024-01-01T00:00:00.000Z';

describe('StorageClass', () => {
  test('desired class: provisioner, parameters, defaults, owner', () => {
    const sc = desiredStorageClass(p({ isDefaultClass: true, mountOptions: ['hard'] }));
    assert.equal(sc.metadata.name, 'nfs1');
    assert.equal(sc.provisioner, 'tentacle.dev/nfs');
    assert.deepEqual(sc.parameters, { nfsProvisioner: 'nfs1', server: 'nfs.local', path: '/srv/nfs' });
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.volumeBindingMode, 'Immediate');
    assert.equal(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(sc.metadata.ownerReferences?.[0]?.uid, 'p-uid');
    assert.deepEqual(sc.mountOptions, ['hard']);
  });

  const live = (over: Partial<StorageClass> = {}, owner = 'p-uid'): StorageClass => {
    const sc = desiredStorageClass(p());
    return { ...sc, ...over, metadata: { ...sc.metadata, ownerReferences: [{ ...sc.metadata.ownerReferences![0]!, uid: owner }] } };
  };
  const cases: [string, NFSProvisioner, StorageClass | undefined, string][] = [
    ['missing → create', p(), undefined, 'create'],
    ['same → none', p(), live(), 'none'],
    ['expansion toggled → patch', p({ allowVolumeExpansion: true }), live(), 'patch'],
    ['default-class toggled → patch', p({ isDefaultClass: true }), live(), 'patch'],
    ['mount options → patch', p({ mountOptions: ['soft'] }), live(), 'patch'],
    ['reclaim policy → recreate', p({ reclaimPolicy: 'Retain' }), live(), 'recreate'],
    ['binding mode → recreate', p({ volumeBindingMode: 'WaitForFirstConsumer' }), live(), 'recreate'],
    ['someone else\'s class → conflict', p(), live({}, 'other'), 'conflict'],
  ];
  for (const [name, prov, existing, kind] of cases) test(name, () => assert.equal(decideStorageClass(prov, existing).kind, kind));
});

describe('status', () => {
  const status = (over: Partial<Parameters<typeof decideStatus>[0]> = {}) =>
    decideStatus({ provisioner: p(), config: resolveConfig(p()), storageClass: { kind: 'none' }, agent: { mode: 'local', root: '/x/nfs1' }, volumes: [], now, ...over });
  const cond = (s: ReturnType<typeof decideStatus>, type: string) => s.conditions?.find((c) => c.type === type);

  test('ready in local mode, counts volumes', () => {
    const s = status({ volumes: [{ metadata: {}, spec: {}, status: { phase: 'Bound' } }, { metadata: {}, spec: {}, status: { phase: 'Released' } }] });
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(cond(s, 'AgentReady')?.reason, 'LocalMode');
    assert.equal(s.volumes, 2);
    assert.equal(s.boundVolumes, 1);
    assert.equal(s.observedGeneration, 2);
    assert.equal(cond(s, 'Ready')?.observedGeneration, 2);
  });
  test('conflict', () => assert.equal(cond(status({ storageClass: { kind: 'conflict', message: 'm' } }), 'Ready')?.reason, 'NameConflict'));
  test('invalid spec wins', () => {
    const bad = p({ archiveRetention: 'soon' });
    assert.equal(cond(status({ provisioner: bad, config: resolveConfig(bad) }), 'Ready')?.reason, 'InvalidSpec');
  });
  test('no agent image', () => assert.equal(cond(status({ agent: { mode: 'cluster', missingImage: true } }), 'AgentReady')?.reason, 'NoAgentImage'));
  test('an export that does not answer (ExportReachable=False, from the agent) makes the provisioner not Ready, and is kept', () => {
    const reported: Condition = { type: 'ExportReachable', status: 'False', reason: 'ExportNotResponding', message: 'the export has not answered for 12s', lastTransitionTime: now };
    const provisioner = { ...p(), status: { conditions: [reported] } };
    const s = status({ provisioner });
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(cond(s, 'Ready')?.reason, 'ExportNotResponding');
    assert.equal(cond(s, 'Ready')?.message, reported.message);
    assert.deepEqual(cond(s, 'ExportReachable'), reported);
    const back = status({ provisioner: { ...p(), status: { conditions: [{ ...reported, status: 'True', reason: 'ExportResponding' }] } } });
    assert.equal(cond(back, 'Ready')?.status, 'True');
  });
  test('agent available', () => {
    const d: Deployment = { metadata: { generation: 1 }, spec: { selector: {}, template: { spec: { containers: [] } } }, status: { observedGeneration: 1, availableReplicas: 1 } };
    assert.equal(cond(status({ agent: { mode: 'cluster', deployment: d, name: 'a' } }), 'Ready')?.status, 'True');
  });
  test('warnings only on change', () => {
    const s = status({ storageClass: { kind: 'conflict', message: 'm' } });
    assert.deepEqual(warningsFor([], s.conditions!), [{ reason: 'NameConflict', message: 'm' }]);
    assert.deepEqual(warningsFor(s.conditions, s.conditions!), []);
  });
});

describe('agent Deployment', () => {
  test('names fit a pod name', () => {
    assert.equal(agentName('nfs1'), 'tentacle-nfs-nfs1');
    const long = agentName('x'.repeat(200));
    assert.ok(long.length <= 52 && long !== agentName(`${'x'.repeat(199)}y`));
  });
  test('shape and change detection', () => {
    const d = desiredAgentDeployment(p(), { image: 'img', namespace: 'ops', serviceAccountName: 'sa' });
    assert.equal(d.metadata.namespace, 'ops');
    assert.equal(d.spec.template.spec.serviceAccountName, 'sa');
    assert.ok(d.spec.template.spec.containers[0]!.args!.includes('--leader-election-namespace=ops'));
    assert.ok(!agentNeedsUpdate(d, desiredAgentDeployment(p(), { image: 'img', namespace: 'ops', serviceAccountName: 'sa' })));
    assert.ok(agentNeedsUpdate(d, desiredAgentDeployment(p(), { image: 'img2', namespace: 'ops', serviceAccountName: 'sa' })));
    assert.equal(d.spec.template.spec.imagePullSecrets, undefined);
  });
  test('pulls its image with the chart\'s imagePullSecrets, and a change of them updates it', () => {
    const d = desiredAgentDeployment(p(), { image: 'img', namespace: 'ops', imagePullSecrets: ['regcred', 'mirror'] });
    assert.deepEqual(d.spec.template.spec.imagePullSecrets, [{ name: 'regcred' }, { name: 'mirror' }]);
    assert.ok(agentNeedsUpdate(d, desiredAgentDeployment(p(), { image: 'img', namespace: 'ops', imagePullSecrets: ['regcred'] })));
  });
  test('runs node with the operator\'s flags when given, the image\'s entrypoint otherwise', () => {
    const d = desiredAgentDeployment(p(), { image: 'img', namespace: 'ops', nodeFlags: ['--lite-mode'] });
    assert.deepEqual(d.spec.template.spec.containers[0]!.command, ['node', '--lite-mode', '--enable-source-maps', 'dist/main.js']);
    assert.equal(desiredAgentDeployment(p(), { image: 'img', namespace: 'ops' }).spec.template.spec.containers[0]!.command, undefined);
  });
});

describe('statusWriteDelay', () => {
  const ready: Condition[] = [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }];
  const base: NFSProvisionerStatus = { observedGeneration: 1, storageClassName: 'nfs', volumes: 3, boundVolumes: 2, conditions: ready };
  const cases: [string, Parameters<typeof statusWriteDelay>, number][] = [
    ['never written by this process: at once', [base, { ...base, volumes: 4 }, undefined, 10_000], 0],
    ['only the counters, 300 ms after the last write: wait out the second', [base, { ...base, volumes: 4, boundVolumes: 3 }, 10_000, 10_300], 700],
    ['only the counters, a second or more after the last write: at once', [base, { ...base, volumes: 4 }, 10_000, 11_000], 0],
    ['a condition changed: at once, however recent the last write', [base, { ...base, volumes: 4, conditions: [{ ...ready[0]!, status: 'False', reason: 'AgentNotReady' }] }, 10_000, 10_001], 0],
    ['the agent Deployment appeared: at once', [base, { ...base, agentDeployment: 'nfs-agent' }, 10_000, 10_001], 0],
    ['no status yet, first counters: at once (the rest differs too)', [undefined, base, 10_000, 10_001], 0],
    ['a custom interval', [base, { ...base, boundVolumes: 3 }, 10_000, 10_500, 5_000], 4_500],
  ];
  for (const [name, args, want] of cases) test(name, () => assert.equal(statusWriteDelay(...args), want));
});
