// decide() as a table: every situation a SecretMirror can be in, and the plan for it.
import { describe, expect, test } from '@jest/globals';
import { FINALIZER, MIRRORED_BY, type ConfigMap, type Secret, type SecretMirror } from '../src/api.ts';
import { decide, secretData, type Observed } from '../src/decide.ts';

const mirror = (over: Partial<SecretMirror['metadata']> = {}, status?: SecretMirror['status']): SecretMirror => ({
  apiVersion: 'mirror.example.com/v1alpha1',
  kind: 'SecretMirror',
  metadata: { name: 'm', namespace: 'ns', uid: 'mirror-uid', generation: 1, finalizers: [FINALIZER], ...over },
  spec: { configMapName: 'cm' },
  ...(status ? { status } : {}),
});
const configMap = (data: Record<string, string>, annotations?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', namespace: 'ns', ...(annotations ? { annotations } : {}) },
  data,
});
const owned = { apiVersion: 'mirror.example.com/v1alpha1', kind: 'SecretMirror', name: 'm', uid: 'mirror-uid', controller: true };
const secret = (data: Record<string, string>, ownerReferences = [owned]): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'm', namespace: 'ns', ownerReferences },
  data,
});
const b64 = (s: string) => Buffer.from(s).toString('base64');
const marked = { [MIRRORED_BY]: 'm' };
const readyFalse = (reason: string) => ({
  conditions: [{ type: 'Ready', status: 'False' as const, reason, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
});

describe('decide', () => {
  test.each<[string, Observed, Record<string, unknown>]>([
    ['deleted, source marked: unmark it', { mirror: mirror({ deletionTimestamp: 'now' }), configMap: configMap({}, marked), secret: undefined }, { action: 'finalize', unmarkSource: true }],
    ['deleted, source marked by another: leave it', { mirror: mirror({ deletionTimestamp: 'now' }), configMap: configMap({}, { [MIRRORED_BY]: 'other' }), secret: undefined }, { action: 'finalize', unmarkSource: false }],
    ['deleted, source gone', { mirror: mirror({ deletionTimestamp: 'now' }), configMap: undefined, secret: undefined }, { action: 'finalize', unmarkSource: false }],
    ['new: finalizer first', { mirror: mirror({ finalizers: [] }), configMap: configMap({ a: '1' }), secret: undefined }, { action: 'add-finalizer' }],
    ['no Secret yet: create it and mark the source', { mirror: mirror(), configMap: configMap({ a: '1' }), secret: undefined }, { action: 'sync', secret: 'create', data: { a: b64('1') }, markSource: true, event: { type: 'Normal', reason: 'Created', message: 'Created Secret m' } }],
    ['Secret up to date', { mirror: mirror(), configMap: configMap({ a: '1' }, marked), secret: secret({ a: b64('1') }) }, { action: 'sync', secret: 'keep', markSource: false, event: undefined }],
    ['ConfigMap changed: update', { mirror: mirror(), configMap: configMap({ a: '2' }, marked), secret: secret({ a: b64('1') }) }, { action: 'sync', secret: 'update', data: { a: b64('2') }, event: { type: 'Normal', reason: 'Updated', message: 'Updated Secret m' } }],
    ['a key removed: update', { mirror: mirror(), configMap: configMap({}, marked), secret: secret({ a: b64('1') }) }, { action: 'sync', secret: 'update', data: {} }],
    ['ConfigMap missing: Ready False and a Warning', { mirror: mirror(), configMap: undefined, secret: secret({ a: b64('1') }) }, { action: 'sync', secret: 'keep', ready: expect.objectContaining({ status: 'False', reason: 'ConfigMapNotFound' }), event: expect.objectContaining({ type: 'Warning', reason: 'ConfigMapNotFound' }) }],
    ['ConfigMap still missing: no second Warning', { mirror: mirror({}, readyFalse('ConfigMapNotFound')), configMap: undefined, secret: undefined }, { action: 'sync', secret: 'keep', event: undefined }],
    ["someone else's Secret: left alone", { mirror: mirror(), configMap: configMap({ a: '1' }), secret: secret({ x: 'eA==' }, []) }, { action: 'sync', secret: 'keep', markSource: false, ready: expect.objectContaining({ status: 'False', reason: 'SecretNotOwned' }), event: expect.objectContaining({ type: 'Warning', reason: 'SecretNotOwned' }) }],
  ])('%s', (_name, observed, expected) => {
    expect(decide(observed)).toMatchObject(expected);
  });

  test('Synced means Ready True', () => {
    const plan = decide({ mirror: mirror(), configMap: configMap({ a: '1' }), secret: undefined });
    expect(plan).toMatchObject({ ready: { status: 'True', reason: 'Synced' } });
  });
});

describe('secretData', () => {
  test('text is encoded, binary data is copied', () => {
    const cm: ConfigMap = { ...configMap({ text: 'héllo' }), binaryData: { bin: 'AAEC' } };
    expect(secretData(cm)).toEqual({ text: b64('héllo'), bin: 'AAEC' });
  });
});
