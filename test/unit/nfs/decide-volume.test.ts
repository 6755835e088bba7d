import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../src/api/core/types.ts';
import type { NFSProvisioner } from '../../../src/api/storage/types.ts';
import { resolveConfig, type ProvisionerConfig } from '../../../src/controllers/nfs/config.ts';
import { claimUidOfVolume, decideProvision, decideReclaim, decideResize, unboundVolumeClass, type ProvisionInput } from '../../../src/controllers/nfs/decide-volume.ts';

const provisioner = (spec: Partial<NFSProvisioner['spec']> = {}): NFSProvisioner => ({
  metadata: { name: 'nfs1', uid: 'p-uid', generation: 1 },
  spec: { server: 'nfs.local', path: '/srv/nfs/', ...spec },
});
const config = (spec: Partial<NFSProvisioner['spec']> = {}): ProvisionerConfig => {
  const r = resolveConfig(provisioner(spec));
  if (!r.ok) throw new Error(r.errors.join());
  return r.config;
};
const storageClass = (extra: Partial<StorageClass> = {}): StorageClass => ({
  metadata: { name: 'nfs1' },
  provisioner: 'tentacle.dev/nfs',
  parameters: { nfsProvisioner: 'nfs1' },
  ...extra,
});
const claim = (over: { annotations?: Record<string, string>; spec?: Partial<PersistentVolumeClaim['spec']>; phase?: 'Pending' | 'Bound' } = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'c-uid', annotations: { 'volume.kubernetes.io/storage-provisioner': 'tentacle.dev/nfs', ...over.annotations } },
  spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'nfs1', resources: { requests: { storage: '2Gi' } }, ...over.spec },
  status: { phase: over.phase ?? 'Pending' },
});
/** A claim the PV controller has not annotated for a provisioner yet. */
const unannounced = (spec: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim => {
  const c = claim({ spec });
  return { ...c, metadata: { ...c.metadata, annotations: {} } };
};
/** A PV an administrator made for the class (static provisioning). */
const staticVolume = (spec: Partial<PersistentVolume['spec']> = {}): PersistentVolume => ({
  metadata: { name: 'static-1' },
  spec: { storageClassName: 'nfs1', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], ...spec },
});
const input = (over: Partial<ProvisionInput> = {}): ProvisionInput => ({ claim: claim(), storageClass: storageClass(), config: config(), volumeExists: false, unboundVolumesOfClass: [], volumesNamingClaim: [], ...over });

describe('unboundVolumeClass (the index decideProvision reads)', () => {
  test.each([
    ['free', {}, ['nfs1']],
    ['reserved for a claim not yet bound', { claimRef: { namespace: 'ns', name: 'data' } }, ['nfs1']],
    ['bound (its claimRef has the claim uid)', { claimRef: { namespace: 'ns', name: 'data', uid: 'c-uid' } }, []],
    ['without a class', { storageClassName: undefined }, ['']],
  ] as [string, Partial<PersistentVolume['spec']>, string[]][])('%s', (_name, spec, expected) => {
    assert.deepEqual(unboundVolumeClass(staticVolume(spec)), expected);
  });
});

describe('claimUidOfVolume (the index of binds under way decideProvision reads)', () => {
  test.each([
    ['free', {}, []],
    ['reserved by name only', { claimRef: { namespace: 'ns', name: 'data' } }, []],
    ['claimed by uid', { claimRef: { namespace: 'ns', name: 'data', uid: 'c-uid' } }, ['c-uid']],
  ] as [string, Partial<PersistentVolume['spec']>, string[]][])('%s', (_name, spec, expected) => {
    assert.deepEqual(claimUidOfVolume(staticVolume(spec)), expected);
  });
});

/** A static PV the PV controller has written the claim's uid into, before it writes the claim's volumeName. */
const bindingVolume = () => staticVolume({ claimRef: { namespace: 'ns', name: 'data', uid: 'c-uid' } });

describe('decideProvision', () => {
  test('provisions the default directory with a PV that names the claim', () => {
    const d = decideProvision(input({ storageClass: storageClass({ mountOptions: ['hard'] }) }));
    assert.equal(d.kind, 'provision');
    if (d.kind !== 'provision') return;
    assert.equal(d.dir, 'ns-data-pvc-c-uid');
    const pv = d.volume;
    assert.equal(pv.metadata.name, 'pvc-c-uid');
    assert.deepEqual(pv.spec.nfs, { server: 'nfs.local', path: '/srv/nfs/ns-data-pvc-c-uid' });
    assert.deepEqual(pv.spec.capacity, { storage: '2Gi' });
    assert.deepEqual(pv.spec.mountOptions, ['hard']);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.metadata.finalizers, ['external-provisioner.volume.kubernetes.io/finalizer']);
    assert.deepEqual(pv.spec.claimRef, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'c-uid' });
    assert.equal(pv.metadata.annotations?.['storage.tentacle.dev/provisioner'], 'nfs1');
  });

  test('Retain volumes carry no finalizer', () => {
    const d = decideProvision(input({ config: config({ reclaimPolicy: 'Retain' }) }));
    assert.ok(d.kind === 'provision' && d.volume.metadata.finalizers === undefined && d.volume.spec.persistentVolumeReclaimPolicy === 'Retain');
  });

  const cases: [string, Partial<ProvisionInput>, 'skip' | 'fail', RegExp][] = [
    ['already provisioned', { volumeExists: true }, 'skip', /already provisioned/],
    ['bound', { claim: claim({ spec: { volumeName: 'x' } }) }, 'skip', /names a volume/],
    ['handed to another provisioner', { claim: claim({ annotations: { 'volume.kubernetes.io/storage-provisioner': 'example.com/other' } }) }, 'skip', /to provisioner example\.com\/other/],
    ['not handed over yet, a free PV of the class exists', { claim: unannounced(), unboundVolumesOfClass: [staticVolume()] }, 'skip', /static-1 may bind the claim/],
    ['not handed over yet, a PV reserved for this claim exists', { claim: unannounced(), unboundVolumesOfClass: [staticVolume({ claimRef: { namespace: 'ns', name: 'data' } })] }, 'skip', /may bind/],
    ['not handed over yet, the PV controller is binding a static PV to the claim', { claim: unannounced(), volumesNamingClaim: [bindingVolume()] }, 'skip', /binding PersistentVolume static-1 to the claim/],
    ['handed over, and a matching PV appeared that the PV controller is binding', { volumesNamingClaim: [bindingVolume()] }, 'skip', /binding PersistentVolume static-1/],
    ['not handed over yet, the claim selects by label', { claim: unannounced({ selector: { matchLabels: { a: 'b' } } }) }, 'skip', /selects volumes by label/],
    ['beta annotation is enough', { claim: { ...claim(), metadata: { ...claim().metadata, annotations: { 'volume.beta.kubernetes.io/storage-provisioner': 'tentacle.dev/nfs' } } }, volumeExists: true }, 'skip', /already/],
    ['WaitForFirstConsumer without a node', { storageClass: storageClass({ volumeBindingMode: 'WaitForFirstConsumer' }) }, 'skip', /first consumer/],
    ['selector', { claim: claim({ spec: { selector: { matchLabels: { a: 'b' } } } }) }, 'fail', /Selector is not supported/],
    ['block', { claim: claim({ spec: { volumeMode: 'Block' } }) }, 'fail', /volumeMode Block/],
    ['data source', { claim: claim({ spec: { dataSource: { kind: 'VolumeSnapshot', name: 's' } } }) }, 'fail', /dataSource/],
    ['no request', { claim: claim({ spec: { resources: {} } }) }, 'fail', /requests no storage/],
    ['bad mode', { claim: claim({ spec: { accessModes: ['ReadWriteSometimes'] } }) }, 'fail', /not supported/],
    ['misconfigured', { config: { errors: ['onDelete "x" is bad'] } }, 'fail', /misconfigured: onDelete/],
    ['traversal via annotation', { config: config({ pathPattern: '${.PVC.annotations.p}' }), claim: claim({ annotations: { p: '../x' } }) }, 'fail', /no safe directory/],
  ];
  for (const [name, over, kind, why] of cases) {
    test(name, () => {
      const d = decideProvision(input(over));
      assert.equal(d.kind, kind);
      assert.match(d.kind === 'skip' ? d.why : d.kind === 'fail' ? d.message : '', why);
    });
  }

  // Provisioning ahead of the PV controller's handover, when no existing PV could bind the claim.
  const early: [string, Partial<ProvisionInput>][] = [
    ['no unbound PV of the class', { claim: unannounced() }],
    ['the free PV is of another class', { claim: unannounced(), unboundVolumesOfClass: [staticVolume({ storageClassName: 'other' })] }],
    ['the reserved PV is for another claim', { claim: unannounced(), unboundVolumesOfClass: [staticVolume({ claimRef: { namespace: 'ns', name: 'other' } })] }],
    ['the reserved PV is for an earlier claim of that name', { claim: unannounced(), unboundVolumesOfClass: [staticVolume({ claimRef: { namespace: 'ns', name: 'data', uid: 'old-uid' } })] }],
    ['the free PV is being deleted', { claim: unannounced(), unboundVolumesOfClass: [{ ...staticVolume(), metadata: { name: 'static-1', deletionTimestamp: '2026-11-29T00:00:00Z' } }] }],
    ['handed over: the PV controller already chose not to bind the free PV', { unboundVolumesOfClass: [staticVolume()] }],
    ['the volume naming the claim uid is our own pvc-<uid>, not yet in the cache as existing', { volumesNamingClaim: [{ ...bindingVolume(), metadata: { name: 'pvc-c-uid' } }] }],
    ['the volume naming a uid is for another claim', { volumesNamingClaim: [staticVolume({ claimRef: { namespace: 'ns', name: 'data', uid: 'old-uid' } })] }],
  ];
  for (const [name, over] of early) {
    test(`provisions: ${name}`, () => {
      assert.equal(decideProvision(input(over)).kind, 'provision');
    });
  }

  test('WaitForFirstConsumer provisions once a node is selected', () => {
    const d = decideProvision(input({ storageClass: storageClass({ volumeBindingMode: 'WaitForFirstConsumer' }), claim: claim({ annotations: { 'volume.kubernetes.io/selected-node': 'n1' } }) }));
    assert.equal(d.kind, 'provision');
  });
});

const volume = (over: { phase?: string; deleting?: boolean; finalizers?: string[]; policy?: 'Delete' | 'Retain'; path?: string; server?: string } = {}): PersistentVolume => ({
  metadata: {
    name: 'pvc-1',
    uid: 'v-uid',
    resourceVersion: '5',
    annotations: { 'pv.kubernetes.io/provisioned-by': 'tentacle.dev/nfs', 'storage.tentacle.dev/provisioner': 'nfs1' },
    finalizers: over.finalizers ?? ['external-provisioner.volume.kubernetes.io/finalizer'],
    ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
  },
  spec: { persistentVolumeReclaimPolicy: over.policy ?? 'Delete', nfs: { server: over.server ?? 'nfs.local', path: over.path ?? '/srv/nfs/ns-data-pvc-1' }, capacity: { storage: '1Gi' } },
  status: { phase: (over.phase ?? 'Released') as 'Released' },
});

describe('decideReclaim', () => {
  const cases: [string, PersistentVolume, Partial<{ onDelete: string; otherDirs: string[] }>, Record<string, unknown>][] = [
    ['released Delete → archive, delete PV, drop finalizer', volume(), {}, { kind: 'reclaim', dir: 'ns-data-pvc-1', onDelete: 'archive', deleteVolume: true, removeFinalizer: true }],
    ['onDelete delete', volume(), { onDelete: 'delete' }, { kind: 'reclaim', onDelete: 'delete' }],
    ['bound → nothing', volume({ phase: 'Bound' }), {}, { kind: 'skip' }],
    ['released Retain → nothing', volume({ policy: 'Retain', finalizers: [] }), {}, { kind: 'skip' }],
    ['deleted PV with Delete → clean up, then finalizer', volume({ deleting: true }), {}, { kind: 'reclaim', deleteVolume: false, removeFinalizer: true }],
    ['deleted PV still protected → wait', volume({ deleting: true, finalizers: ['kubernetes.io/pv-protection', 'external-provisioner.volume.kubernetes.io/finalizer'] }), {}, { kind: 'skip' }],
    ['deleted Retain PV with our finalizer → just the finalizer', volume({ deleting: true, policy: 'Retain' }), {}, { kind: 'removeFinalizer' }],
    ['directory shared with a live volume → kept', volume(), { otherDirs: ['ns-data-pvc-1'] }, { kind: 'reclaim', onDelete: 'retain' }],
    ['path outside the export → refused', volume({ path: '/srv/other/x' }), {}, { kind: 'fail' }],
    ['path with .. → refused', volume({ path: '/srv/nfs/../etc' }), {}, { kind: 'fail' }],
    ['other server → refused', volume({ server: 'evil' }), {}, { kind: 'fail' }],
  ];
  for (const [name, pv, opts, want] of cases) {
    test(name, () => {
      const d = decideReclaim({ volume: pv, config: config(opts.onDelete ? { onDelete: opts.onDelete as 'delete' } : {}), otherDirs: opts.otherDirs ?? [] });
      for (const [k, v] of Object.entries(want)) assert.deepEqual((d as Record<string, unknown>)[k], v, `${k} in ${JSON.stringify(d)}`);
    });
  }
  test('without its provisioner nothing is touched', () => {
    assert.equal(decideReclaim({ volume: volume(), config: undefined, otherDirs: [] }).kind, 'skip');
  });
});

describe('decideResize', () => {
  const bound = (request: string, status: string) => ({ ...claim({ phase: 'Bound', spec: { volumeName: 'pvc-1', resources: { requests: { storage: request } } } }), status: { phase: 'Bound' as const, capacity: { storage: status } } });
  test('grows the PV to the request', () => assert.deepEqual(decideResize(bound('2Gi', '1Gi'), volume({ phase: 'Bound' }), true), { kind: 'resize', size: '2Gi', expandVolume: true }));
  test('not when the class forbids it', () => assert.equal(decideResize(bound('2Gi', '1Gi'), volume({ phase: 'Bound' }), false).kind, 'skip'));
  test('finishes the claim status after a restart', () => {
    const pv = volume({ phase: 'Bound' });
    pv.spec.capacity = { storage: '2Gi' };
    assert.deepEqual(decideResize(bound('2Gi', '1Gi'), pv, true), { kind: 'resize', size: '2Gi', expandVolume: false });
  });
  test('nothing when sizes match', () => assert.equal(decideResize(bound('1Gi', '1Gi'), volume({ phase: 'Bound' }), true).kind, 'skip'));
});
