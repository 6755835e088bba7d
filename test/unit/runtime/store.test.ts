import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { labelIndexName, OWNER_UID_INDEX, Store } from '../../../src/runtime/cache/store.ts';
import { matchesSelector } from '../../../src/runtime/util/selectors.ts';
import type { KubeObject, LabelSelector } from '../../../src/runtime/types.ts';

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

  test('list by selector gives what filtering every object gives, through the label index', () => {
    const store = new Store<KubeObject>();
    const labels: Record<string, string>[] = [{ app: 'web', tier: 'front' }, { app: 'web', tier: 'back' }, { app: 'db' }, { tier: 'front' }, {}];
    for (const ns of ['a', 'b', '']) labels.forEach((l, i) => store.set(obj(ns, `o${i}`, { labels: l })));
    const selectors: LabelSelector[] = [
      { matchLabels: { app: 'web' } },
      { matchLabels: { app: 'web', tier: 'back' } },
      { matchLabels: { tier: 'front' }, matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      { matchLabels: { app: 'nope' } },
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] },
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] }, // invalid: matches nothing
      {},
    ];
    const keys = (l: KubeObject[]) => l.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    for (const selector of selectors) {
      for (const namespace of ['a', '', undefined]) {
        const want = [...store.values()].filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && matchesSelector(selector, o.metadata.labels));
        assert.deepEqual(keys(store.list({ selector, ...(namespace === undefined ? {} : { namespace }) })), keys(want), `${JSON.stringify(selector)} in ${namespace}`);
      }
    }
    assert.ok(store.hasIndexer(labelIndexName('app')) && store.hasIndexer(labelIndexName('tier')));
  });

  test('the label index follows label changes and deletes', () => {
    const store = new Store<KubeObject>();
    store.set(obj('a', 'x', { labels: { app: 'web' } }));
    const web = () => store.list({ namespace: 'a', selector: { matchLabels: { app: 'web' } } }).map((o) => o.metadata.name);
    assert.deepEqual(web(), ['x']);
    store.set(obj('a', 'x', { labels: { app: 'db' } }));
    store.set(obj('a', 'y', { labels: { app: 'web' } }));
    assert.deepEqual(web(), ['y']);
    store.delete('a/y');
    assert.deepEqual(web(), []);
    assert.deepEqual(store.byIndex(labelIndexName('app'), 'db').map((o) => o.metadata.name), ['x']);
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
