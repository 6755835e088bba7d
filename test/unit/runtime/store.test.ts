import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OWNER_UID_INDEX, Store } from '../../../src/runtime/cache/store.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';

const obj = (namespace: string, name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { namespace, name, resourceVersion: '1', ...extra },
});

describe('Store', () => {
  test('keys objects by namespace/name and cluster-scoped objects by name', () => {
    const store = new Store<KubeObject>();
    store.set(obj('a', 'x'));
    store.set({ metadata: { name: 'node-1' } });
    assert.equal(store.get('a/x')?.metadata.name, 'x');
    assert.equal(store.getByName('', 'node-1')?.metadata.name, 'node-1');
    assert.equal(store.size, 2);
  });

  test('namespace and owner indexes follow updates and deletes', () => {
    const store = new Store<KubeObject>();
    const owned = (uid: string) => ({ ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid }] });
    store.set(obj('a', 'p1', owned('u1')));
    store.set(obj('a', 'p2', owned('u1')));
    store.set(obj('b', 'p3', owned('u2')));
    assert.deepEqual(store.byIndex(OWNER_UID_INDEX, 'u1').map((o) => o.metadata.name).sort(), ['p1', 'p2']);
    // Re-owning moves the object between index values.
    store.set(obj('a', 'p2', owned('u2')));
    assert.deepEqual(store.byIndex(OWNER_UID_INDEX, 'u1').map((o) => o.metadata.name), ['p1']);
    assert.deepEqual(store.byIndex(OWNER_UID_INDEX, 'u2').map((o) => o.metadata.name).sort(), ['p2', 'p3']);
    store.delete('a/p1');
    assert.deepEqual(store.byIndex(OWNER_UID_INDEX, 'u1'), []);
    assert.deepEqual(store.list({ namespace: 'a' }).map((o) => o.metadata.name), ['p2']);
  });

  test('list filters by label selector within a namespace', () => {
    const store = new Store<KubeObject>();
    store.set(obj('a', 'web', { labels: { app: 'web' } }));
    store.set(obj('a', 'db', { labels: { app: 'db' } }));
    store.set(obj('b', 'web2', { labels: { app: 'web' } }));
    const names = (l: KubeObject[]) => l.map((o) => o.metadata.name).sort();
    assert.deepEqual(names(store.list({ namespace: 'a', selector: { matchLabels: { app: 'web' } } })), ['web']);
    assert.deepEqual(names(store.list({ selector: { matchLabels: { app: 'web' } } })), ['web', 'web2']);
    assert.deepEqual(names(store.list({ selector: {} })), ['db', 'web', 'web2']);
  });

  test('a custom index added late indexes existing objects', () => {
    const store = new Store<KubeObject>();
    store.set(obj('a', 'x', { labels: { tier: 'front' } }));
    store.addIndexer('tier', (o) => (o.metadata.labels?.tier ? [o.metadata.labels.tier] : []));
    assert.equal(store.byIndex('tier', 'front').length, 1);
    assert.throws(() => store.addIndexer('tier', () => []), /already exists/);
    assert.throws(() => store.byIndex('nope', 'x'), /no index/);
  });
});
