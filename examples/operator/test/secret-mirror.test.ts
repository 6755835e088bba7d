// The controller against a real control plane (the preset's global setup starts it and installs crds/):
// each test file gets a namespace of its own and runs the manager in-process, as main.ts would.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { defineKind, Manager, silentLogger, type KubeObject } from 'tentacle/runtime';
import { TestEnvironment, waitFor } from 'tentacle/testing';
import { CONFIGMAP, FINALIZER, MIRRORED_BY, SECRET, SECRET_MIRROR, type SecretMirror } from '../src/api.ts';
import { setupSecretMirror } from '../src/controller.ts';

interface Event extends KubeObject {
  reason?: string;
  type?: string;
  regarding?: { name?: string };
}
const EVENT = defineKind<Event>('events.k8s.io', 'v1', 'Event');

let env: TestEnvironment;
let namespace: string;
const stop = new AbortController();
let running: Promise<void>;

beforeAll(async () => {
  env = await TestEnvironment.start();
  namespace = await env.namespace('mirror');
  const manager = await Manager.create({
    kubeconfig: env.kubeconfigPath,
    namespace,
    metricsBindAddress: '0',
    healthProbeBindAddress: '0',
    logger: silentLogger,
  });
  setupSecretMirror(manager);
  running = manager.start(stop.signal);
});

afterAll(async () => {
  stop.abort();
  await running;
  await env.stop();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const mirror = (name: string, configMapName: string): SecretMirror => ({
  apiVersion: 'mirror.example.com/v1alpha1',
  kind: 'SecretMirror',
  metadata: { name, namespace },
  spec: { configMapName },
});
const eventReasons = async (name: string) =>
  (await env.client.list(EVENT, { namespace })).items.filter((e) => e.regarding?.name === name).map((e) => `${e.type}/${e.reason}`);

test('a SecretMirror makes a Secret it owns with the ConfigMap data, and keeps it in step', async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { mode: 'fast' } });
  const created = await env.client.create(mirror('settings', 'settings'));

  const secret = await waitFor(() => env.client.find(SECRET, namespace, 'settings'), { what: 'the Secret' });
  expect(secret.data).toEqual({ mode: b64('fast') });
  expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SecretMirror', uid: created.metadata.uid, controller: true })]);
  await env.waitForCondition(SECRET_MIRROR, namespace, 'settings', 'Ready', { reason: 'Synced' });
  const source = await env.client.get(CONFIGMAP, namespace, 'settings');
  expect(source.metadata.annotations?.[MIRRORED_BY]).toBe('settings');
  expect((await env.client.get(SECRET_MIRROR, namespace, 'settings')).metadata.finalizers).toContain(FINALIZER);

  await env.client.patch(CONFIGMAP, namespace, 'settings', { data: { mode: 'safe', extra: 'yes' } }, 'merge');
  await waitFor(async () => (await env.client.get(SECRET, namespace, 'settings')).data?.extra === b64('yes'), { what: 'the Secret updated' });
  expect((await env.client.get(SECRET, namespace, 'settings')).data).toEqual({ mode: b64('safe'), extra: b64('yes') });
  await waitFor(async () => {
    const reasons = await eventReasons('settings');
    return reasons.includes('Normal/Created') && reasons.includes('Normal/Updated');
  }, { what: 'Created and Updated events' });
});

test('a missing ConfigMap is a Ready=False condition and one Warning, then it recovers', async () => {
  await env.client.create(mirror('later', 'not-yet'));
  await env.waitForCondition(SECRET_MIRROR, namespace, 'later', 'Ready', { status: 'False', reason: 'ConfigMapNotFound' });
  await waitFor(async () => (await eventReasons('later')).includes('Warning/ConfigMapNotFound'), { what: 'the Warning event' });
  expect(await env.client.find(SECRET, namespace, 'later')).toBeUndefined();

  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-yet', namespace }, data: { k: 'v' } });
  await env.waitForCondition(SECRET_MIRROR, namespace, 'later', 'Ready');
  expect((await env.client.get(SECRET, namespace, 'later')).data).toEqual({ k: b64('v') });
});

test("someone else's Secret of the same name is left alone", async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'src', namespace }, data: { a: '1' } });
  await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'taken', namespace }, data: { mine: b64('x') } });
  await env.client.create(mirror('taken', 'src'));
  await env.waitForCondition(SECRET_MIRROR, namespace, 'taken', 'Ready', { status: 'False', reason: 'SecretNotOwned' });
  expect((await env.client.get(SECRET, namespace, 'taken')).data).toEqual({ mine: b64('x') });
});

test('deleting a SecretMirror unmarks its source (finalizer) and garbage-collects its Secret (owner reference)', async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace }, data: { a: '1' } });
  await env.client.create(mirror('gone', 'gone'));
  await waitFor(async () => (await env.client.get(CONFIGMAP, namespace, 'gone')).metadata.annotations?.[MIRRORED_BY] === 'gone', {
    what: 'the source marked',
  });
  await waitFor(() => env.client.find(SECRET, namespace, 'gone'), { what: 'the Secret' });

  await env.client.delete(SECRET_MIRROR, namespace, 'gone');
  await waitFor(async () => (await env.client.find(SECRET_MIRROR, namespace, 'gone')) === undefined, { what: 'the SecretMirror gone' });
  expect((await env.client.get(CONFIGMAP, namespace, 'gone')).metadata.annotations?.[MIRRORED_BY]).toBeUndefined();
  // kube-controller-manager's garbage collector learns of a CRD installed after it started at its next
  // discovery sync (every 30 s), so in a fresh control plane this takes up to about 40 s.
  await waitFor(async () => (await env.client.find(SECRET, namespace, 'gone')) === undefined, {
    what: 'the Secret garbage-collected',
    timeoutMs: 90_000,
  });
});
