// The cache keeps of a kind only the fields its watches declare (their union), against the real API
// server: what is cached, what is dropped, and a watch declared too late.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { Cache } from '../../src/runtime/cache/cache.ts';
import type { Client } from '../../src/runtime/client/client.ts';
import type { KubeObject } from '../../src/runtime/types.ts';
import { CONFIGMAP, SECRET, deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';

jest.setTimeout(60_000);

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

describe('cache fields', () => {
  const stop = new AbortController();
  let client: Client;
  let namespace: string;
  let cache: Cache;

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'fields');
    cache = new Cache(client, { namespace });
    // Two watches of ConfigMaps read different keys of data; one watch of Secrets declares nothing.
    cache.informerFor(CONFIGMAP, { fields: { data: { a: true } } });
    cache.informerFor(CONFIGMAP, { fields: { data: { b: true } } });
    cache.informerFor(SECRET, { fields: { type: true } });
    cache.informerFor(SECRET);
    cache.start(stop.signal);
    assert.ok(await cache.waitForSync());
  });

  afterAll(async () => {
    stop.abort();
    await deleteNamespace(client, namespace);
    await client.close();
  });

  test('keeps metadata and the union of the declared fields, drops the rest', async () => {
    await client.create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace, labels: { app: 'x' } },
      data: { a: '1', b: '2', c: '3' },
      binaryData: { d: 'AAAA' },
    });
    const cached = await waitFor(() => cache.get<ConfigMap>(CONFIGMAP, namespace, 'cm'), { what: 'cm cached' });
    assert.deepEqual(cached.data, { a: '1', b: '2' });
    assert.equal(cached.binaryData, undefined);
    assert.equal(cached.metadata.labels?.app, 'x');
    assert.ok(cached.metadata.resourceVersion && cached.metadata.uid);
    assert.equal(cached.apiVersion, 'v1');
    assert.equal(cached.kind, 'ConfigMap');
    // The cache holds less; the server still has everything.
    assert.deepEqual((await client.get<ConfigMap>(CONFIGMAP, namespace, 'cm')).data, { a: '1', b: '2', c: '3' });
  });

  test('a watch that declares nothing keeps the whole object', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace }, type: 'Opaque', stringData: { k: 'v' } });
    const cached = await waitFor(() => cache.get<KubeObject & { data?: Record<string, string> }>(SECRET, namespace, 's'), { what: 's cached' });
    assert.deepEqual(cached.data, { k: Buffer.from('v').toString('base64') });
  });

  test('once the cache runs, a watch needing more than is kept fails at once; one needing less is fine', () => {
    assert.throws(() => cache.informerFor(CONFIGMAP, { fields: { data: true } }), /ConfigMap informer already runs with fewer fields than a new watch reads/);
    assert.throws(() => cache.informerFor(CONFIGMAP), /already runs with fewer fields/);
    assert.doesNotThrow(() => cache.informerFor(CONFIGMAP, { fields: { data: { a: true } } }));
    assert.doesNotThrow(() => cache.informerFor(SECRET, { fields: { immutable: true } }));
  });
});
