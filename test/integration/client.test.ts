// The generic client against the real API server: CRUD on a CRD discovered at run time, the status
// subresource with optimistic concurrency, the four patch types, delete preconditions, and the
// client-side rate limit.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { isConflict, isInvalid, isNotFound } from '../../src/runtime/client/errors.ts';
import { updateStatusIfChanged } from '../../src/runtime/client/status.ts';
import type { KubeObject } from '../../src/runtime/types.ts';
import { CONFIGMAP, deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';

jest.setTimeout(120_000);

const CRD = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
const WIDGET = { group: 'test.tentacle.dev', version: 'v1', kind: 'Widget' };

interface Widget extends KubeObject {
  spec?: { size?: number; tags?: string[] };
  status?: { observed?: number };
}

describe('client', () => {
  let client: Client;
  let namespace: string;

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'client');
    await client.apply(
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.test.tentacle.dev' },
        spec: {
          group: 'test.tentacle.dev',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: { size: { type: 'integer', minimum: 0 }, tags: { type: 'array', items: { type: 'string' } } },
                    },
                    status: { type: 'object', properties: { observed: { type: 'integer' } } },
                  },
                },
              },
            },
          ],
        },
      },
      { fieldManager: 'client-test', force: true },
    );
    await waitFor(async () => {
      const crd = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
        CRD, '', 'widgets.test.tentacle.dev');
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, { what: 'CRD established' });
  });

  afterAll(async () => {
    await deleteNamespace(client, namespace);
    await client.delete(CRD, '', 'widgets.test.tentacle.dev');
    await client.close();
  });

  test('create, get, list, update, delete a custom resource discovered at run time', async () => {
    const created = await client.create<Widget>({
      apiVersion: 'test.tentacle.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace, labels: { tier: 'a' } },
      spec: { size: 1 },
    });
    assert.ok(created.metadata.uid);
    const listed = await client.list<Widget>(WIDGET, { namespace, labelSelector: 'tier=a' });
    assert.deepEqual(listed.items.map((w) => w.metadata.name), ['w1']);
    const updated = await client.update<Widget>({ ...created, spec: { size: 2 } });
    assert.equal(updated.spec?.size, 2);
    assert.equal(updated.metadata.generation, 2);
    // A write based on the old resourceVersion is a conflict, never a blind overwrite.
    await assert.rejects(client.update<Widget>({ ...created, spec: { size: 3 } }), isConflict);
    assert.equal(await client.delete(WIDGET, namespace, 'w1'), true);
    assert.equal(await client.delete(WIDGET, namespace, 'w1'), false);
    await assert.rejects(client.get(WIDGET, namespace, 'w1'), isNotFound);
    assert.equal(await client.find(WIDGET, namespace, 'w1'), undefined);
  });

  test('status goes through the status subresource, guarded by resourceVersion', async () => {
    const w = await client.create<Widget>({
      apiVersion: 'test.tentacle.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w2', namespace },
      spec: { size: 5 },
    });
    const withStatus = await client.updateStatus<Widget>({ ...w, status: { observed: 5 }, spec: { size: 99 } });
    assert.equal(withStatus.status?.observed, 5);
    assert.equal(withStatus.spec?.size, 5, 'the status subresource ignores spec changes');
    await assert.rejects(client.updateStatus<Widget>({ ...w, status: { observed: 6 } }), isConflict);
  });

  test('updateStatusIfChanged writes only a status that differs as stored', async () => {
    const w = await client.create<Widget>({ apiVersion: 'test.tentacle.dev/v1', kind: 'Widget', metadata: { name: 'w5', namespace }, spec: { size: 1 } });
    assert.equal(await updateStatusIfChanged(client, w, {}), undefined, 'no status and {} are the same');
    const written = await updateStatusIfChanged(client, w, { observed: 1 });
    assert.ok(written, 'a changed status is written');
    assert.equal(written.status?.observed, 1);
    assert.notEqual(written.metadata.resourceVersion, w.metadata.resourceVersion);
    // An undefined field is an absent one: nothing to write, so no new resourceVersion either.
    assert.equal(await updateStatusIfChanged<Widget>(client, written, { observed: 1, ...{ extra: undefined } }), undefined);
    const again = await client.get<Widget>(WIDGET, namespace, 'w5');
    assert.equal(again.metadata.resourceVersion, written.metadata.resourceVersion);
  });

  test('merge, JSON, strategic and server-side apply patches', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p', namespace }, data: { a: '1', b: '2' } });
    let cm = await client.patch<KubeObject>(CONFIGMAP, namespace, 'p', { data: { b: null, c: '3' } }, 'merge');
    assert.deepEqual(cm.data, { a: '1', c: '3' });
    cm = await client.patch<KubeObject>(CONFIGMAP, namespace, 'p', [
      { op: 'test', path: '/metadata/resourceVersion', value: cm.metadata.resourceVersion },
      { op: 'replace', path: '/data/a', value: 'one' },
    ], 'json');
    assert.equal((cm.data as Record<string, string>).a, 'one');
    cm = await client.patch<KubeObject>(CONFIGMAP, namespace, 'p', { metadata: { labels: { s: 'y' } } }, 'strategic');
    assert.equal(cm.metadata.labels?.s, 'y');
    // Apply: a second manager setting a field owned by the first conflicts unless it forces.
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p', namespace }, data: { d: '4' } };
    await client.apply(applied, { fieldManager: 'first' });
    await assert.rejects(client.apply({ ...applied, data: { d: '5' } }, { fieldManager: 'second' }), isConflict);
    cm = await client.apply<KubeObject>({ ...applied, data: { d: '5' } }, { fieldManager: 'second', force: true });
    assert.equal((cm.data as Record<string, string>).d, '5');
    // A failed JSON patch test is rejected as invalid.
    await assert.rejects(
      client.patch(CONFIGMAP, namespace, 'p', [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }], 'json'),
      (err) => isInvalid(err) || isConflict(err),
    );
  });

  test('delete preconditions protect against deleting a replaced object', async () => {
    const first = await client.create<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pre', namespace } });
    await client.delete(CONFIGMAP, namespace, 'pre');
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pre', namespace } });
    await assert.rejects(client.delete(CONFIGMAP, namespace, 'pre', { preconditions: { uid: first.metadata.uid! } }), isConflict);
    assert.ok(await client.get(CONFIGMAP, namespace, 'pre'));
  });

  test('a client bound to a signal stops every request when it aborts; the client it came from goes on', async () => {
    const stop = new AbortController();
    const bound = client.withSignal(stop.signal);
    assert.equal(bound.fieldManager, client.fieldManager);
    await bound.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bound', namespace } });
    assert.equal((await bound.list(CONFIGMAP, { namespace })).items.some((cm) => cm.metadata.name === 'bound'), true);
    stop.abort();
    const aborted = (err: unknown) => (err as Error).name === 'AbortError';
    await assert.rejects(bound.get(CONFIGMAP, namespace, 'bound'), aborted);
    await assert.rejects(bound.list(CONFIGMAP, { namespace }), aborted);
    await assert.rejects(bound.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never', namespace } }), aborted);
    await assert.rejects(bound.patch(CONFIGMAP, namespace, 'bound', { data: { a: '1' } }, 'merge'), aborted);
    await assert.rejects(bound.delete(CONFIGMAP, namespace, 'bound'), aborted);
    // A view of a view is stopped by either signal.
    const outer = new AbortController();
    const nested = client.withSignal(outer.signal).withSignal(new AbortController().signal);
    outer.abort();
    await assert.rejects(nested.get(CONFIGMAP, namespace, 'bound'), aborted);
    assert.ok(await client.get(CONFIGMAP, namespace, 'bound'));
    assert.equal(await client.find(CONFIGMAP, namespace, 'never'), undefined);
  });

  test('the client-side rate limit spaces requests after the burst', async () => {
    const slow = await testClient({ qps: 5, burst: 1 });
    const started = performance.now();
    for (let i = 0; i < 6; i++) await slow.get(CONFIGMAP, namespace, 'pre');
    const elapsed = performance.now() - started;
    // One token at once, then one every 200 ms: five waits.
    assert.ok(elapsed >= 950, `6 requests at 5 qps with burst 1 took ${elapsed.toFixed(0)} ms`);
    await slow.close();
  });
});
