import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { controllerRef, getControllerOf, hasOwner, isControlledBy } from '../../../src/runtime/util/owners.ts';
import type { KubeObject, OwnerReference } from '../../../src/runtime/types.ts';

const rs: KubeObject = { metadata: { name: 'web-abc', namespace: 'default', uid: 'uid-rs' } };
const deploy: KubeObject = { metadata: { name: 'web', namespace: 'default', uid: 'uid-deploy' } };
const ctrl: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'uid-rs', controller: true, blockOwnerDeletion: true };
const plain: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'uid-cm' };
const notCtrl: OwnerReference = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-deploy', controller: false };
const pod = (refs?: OwnerReference[]): KubeObject => ({ metadata: { name: 'p', ownerReferences: refs } });

describe('controllerRef', () => {
  const cases: { name: string; owner: KubeObject; gvk: { group: string; version: string; kind: string }; want: OwnerReference }[] = [
    { name: 'grouped kind', owner: rs, gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' }, want: ctrl },
    {
      name: 'core kind: apiVersion without group',
      owner: { metadata: { name: 'svc', uid: 'u1' } },
      gvk: { group: '', version: 'v1', kind: 'Service' },
      want: { apiVersion: 'v1', kind: 'Service', name: 'svc', uid: 'u1', controller: true, blockOwnerDeletion: true },
    },
  ];
  for (const c of cases) void test(c.name, () => assert.deepEqual(controllerRef(c.owner, c.gvk), c.want));
  const bad: [string, KubeObject, RegExp][] = [
    ['owner without uid', { metadata: { name: 'x' } }, /has no metadata.uid/],
    ['owner without name', { metadata: { uid: 'u' } }, /has no metadata.name/],
  ];
  for (const [name, owner, err] of bad) {
    test(`${name} throws`, () => assert.throws(() => controllerRef(owner, { group: 'apps', version: 'v1', kind: 'X' }), err));
  }
});

describe('getControllerOf / isControlledBy / hasOwner', () => {
  const cases: { name: string; obj: KubeObject; controller: OwnerReference | undefined; byRs: boolean; byDeploy: boolean; ownedByCm: boolean }[] = [
    { name: 'no owner references', obj: pod(), controller: undefined, byRs: false, byDeploy: false, ownedByCm: false },
    { name: 'empty owner references', obj: pod([]), controller: undefined, byRs: false, byDeploy: false, ownedByCm: false },
    { name: 'controller among others', obj: pod([plain, ctrl]), controller: ctrl, byRs: true, byDeploy: false, ownedByCm: true },
    { name: 'controller: false is not a controller', obj: pod([notCtrl]), controller: undefined, byRs: false, byDeploy: false, ownedByCm: false },
    { name: 'non-controller owner only', obj: pod([plain]), controller: undefined, byRs: false, byDeploy: false, ownedByCm: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(getControllerOf(c.obj), c.controller);
      assert.equal(isControlledBy(c.obj, rs), c.byRs);
      assert.equal(isControlledBy(c.obj, deploy), c.byDeploy);
      assert.equal(hasOwner(c.obj, 'uid-cm'), c.ownedByCm);
    });
  }
  test('isControlledBy compares uid, not name', () => {
    const sameNameNewUid: KubeObject = { metadata: { name: 'web-abc', namespace: 'default', uid: 'uid-rs-2' } };
    assert.equal(isControlledBy(pod([ctrl]), sameNameNewUid), false);
  });
  test('owner without uid controls nothing', () => {
    assert.equal(isControlledBy(pod([{ ...ctrl, uid: '' }]), { metadata: { name: 'web-abc' } }), false);
    assert.equal(hasOwner(pod([{ ...plain, uid: '' }]), ''), false);
  });
  test('hasOwner matches non-controller references too', () => {
    assert.equal(hasOwner(pod([notCtrl]), 'uid-deploy'), true);
  });
});
