// Table tests of the informer's relist diff: what handlers are told when a fresh list replaces the store.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client, ObjectList, WatchEvent } from '../../../src/runtime/client/client.ts';
import { Informer, relistDiff, type RelistChange } from '../../../src/runtime/cache/informer.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';

const pod = (name: string, resourceVersion: string): KubeObject => ({ metadata: { namespace: 'ns', name, resourceVersion } });
const byKey = (...objs: KubeObject[]) => new Map(objs.map((o) => [`ns/${o.metadata.name}`, o]));

/** Changes as short strings: `add a@1 initial`, `update b@1→2`, `delete c@1`, `same a@1`. */
const show = (changes: RelistChange<KubeObject>[]) =>
  changes.map((c) => {
    const at = (o: KubeObject) => `${o.metadata.name}@${o.metadata.resourceVersion}`;
    switch (c.type) {
      case 'add': return `add ${at(c.obj)}${c.initial ? ' initial' : ''}`;
      case 'update': return `update ${at(c.old)}→${c.obj.metadata.resourceVersion}`;
      case 'delete': return `delete ${at(c.old)}`;
      case 'same': return `same ${at(c.obj)}`;
    }
  });

describe('relistDiff', () => {
  const cases: { name: string; stored: KubeObject[]; fresh: KubeObject[]; initial?: boolean; want: string[] }[] = [
    { name: 'first list: every object is an initial add', stored: [], fresh: [pod('a', '1'), pod('b', '2')], initial: true, want: ['add a@1 initial', 'add b@2 initial'] },
    { name: 'a later relist into an empty store: plain adds', stored: [], fresh: [pod('a', '1')], want: ['add a@1'] },
    { name: 'unchanged resourceVersion: no event', stored: [pod('a', '1')], fresh: [pod('a', '1')], want: ['same a@1'] },
    { name: 'changed resourceVersion: update', stored: [pod('a', '1')], fresh: [pod('a', '5')], want: ['update a@1→5'] },
    { name: 'missing from the list: delete, with the last state known', stored: [pod('a', '1')], fresh: [], want: ['delete a@1'] },
    { name: 'both empty: nothing', stored: [], fresh: [], want: [] },
    {
      name: 'mixed: deletes first in store order, then the list in its order',
      stored: [pod('a', '1'), pod('b', '1'), pod('c', '1'), pod('d', '1')],
      fresh: [pod('e', '9'), pod('d', '1'), pod('b', '7')],
      want: ['delete a@1', 'delete c@1', 'add e@9', 'same d@1', 'update b@1→7'],
    },
    // Only the version is compared: same version, different content cannot happen on one server.
    { name: 'content is not compared', stored: [{ ...pod('a', '1'), spec: { x: 1 } }], fresh: [{ ...pod('a', '1'), spec: { x: 2 } }], want: ['same a@1'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(show(relistDiff(byKey(...c.stored), byKey(...c.fresh), c.initial ?? false)), c.want);
    });
  }

  test('updates carry the stored object as old and the fresh one as new; the store is not touched', () => {
    const stored = byKey(pod('a', '1'), pod('b', '1'));
    const fresh = byKey(pod('a', '2'));
    const [del, update] = relistDiff(stored, fresh, false);
    assert.deepEqual(del, { type: 'delete', key: 'ns/b', old: stored.get('ns/b') });
    assert.deepEqual(update, { type: 'update', old: stored.get('ns/a'), obj: fresh.get('ns/a') });
    assert.ok(update?.type === 'update' && update.old === stored.get('ns/a') && update.obj === fresh.get('ns/a'), 'the objects themselves');
    assert.deepEqual([...stored.keys()], ['ns/a', 'ns/b']);
  });
});

// The diff wired into an informer: a list, an in-stream 410, a relist; handlers see exactly the change.
test('Informer: a relist after 410 tells handlers what changed meanwhile, and the store holds the new list', async () => {
  const lists: ObjectList<KubeObject>[] = [
    { metadata: { resourceVersion: '10' }, items: [pod('a', '1'), pod('b', '1'), pod('c', '1')] },
    { metadata: { resourceVersion: '30' }, items: [pod('a', '1'), pod('b', '2'), pod('d', '1')] },
  ];
  const abort = new AbortController();
  let watches = 0;
  const client = {
    list: async () => lists.shift() ?? new Promise(() => {}),
    async *watch(_gvk: unknown, _options: unknown, signal: AbortSignal): AsyncGenerator<WatchEvent> {
      if (watches++ === 0) yield { type: 'ERROR', object: { code: 410, message: 'too old resource version' } };
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  } as unknown as Client;
  const informer = new Informer(client, { group: '', version: 'v1', kind: 'Pod' });
  const seen: string[] = [];
  informer.addHandler({
    onAdd: (o, initial) => seen.push(`add ${o.metadata.name}${initial ? ' initial' : ''}`),
    onUpdate: (old, o) => seen.push(`update ${o.metadata.name} ${old.metadata.resourceVersion}→${o.metadata.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  const running = informer.run(abort.signal);
  for (let i = 0; i < 200 && watches < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  abort.abort();
  await running;
  assert.deepEqual(seen, ['add a initial', 'add b initial', 'add c initial', 'delete c', 'update b 1→2', 'add d']);
  assert.deepEqual([...informer.store.values()].map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`), ['a@1', 'b@2', 'd@1']);
});
