// OwnWrites: what this process wrote, until its cache shows it. Table cases, each a sequence of steps
// on a fake clock, then what the facility answers.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { OwnWrites } from '../../../src/runtime/controller/own-writes.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';
import { FakeClock } from '../../../src/runtime/util/clock.ts';

const TTL = 60_000;
const object = (name: string): KubeObject => ({ metadata: { name } });

describe('OwnWrites: updates', () => {
  const cases: { name: string; steps: (w: OwnWrites, clock: FakeClock) => void; cached: string | undefined; behind: boolean; after: boolean }[] = [
    { name: 'nothing written: never behind', steps: () => {}, cached: '5', behind: false, after: false },
    { name: 'the cache still shows the replaced version: behind', steps: (w) => w.updated('ns/a', '5'), cached: '5', behind: true, after: true },
    { name: 'the cache shows another version: caught up, and the write is forgotten', steps: (w) => w.updated('ns/a', '5'), cached: '7', behind: false, after: false },
    { name: 'versions compare for equality only (opaque)', steps: (w) => w.updated('ns/a', '10'), cached: '9', behind: false, after: false },
    { name: 'a write that replaced no known version is not tracked', steps: (w) => w.updated('ns/a', undefined), cached: undefined, behind: false, after: false },
    { name: 'after the ttl, a lost event holds nothing back', steps: (w, c) => { w.updated('ns/a', '5'); c.advance(TTL); }, cached: '5', behind: false, after: false },
    { name: 'just before the ttl, still behind', steps: (w, c) => { w.updated('ns/a', '5'); c.advance(TTL - 1); }, cached: '5', behind: true, after: true },
    { name: 'the last write counts', steps: (w) => { w.updated('ns/a', '5'); w.updated('ns/a', '6'); }, cached: '5', behind: false, after: false },
    { name: 'another key is not affected', steps: (w) => w.updated('ns/b', '5'), cached: '5', behind: false, after: false },
    { name: 'forget: the object is gone', steps: (w) => { w.updated('ns/a', '5'); w.forget('ns/a'); }, cached: '5', behind: false, after: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const clock = new FakeClock();
      const writes = new OwnWrites({ clock, ttlMs: TTL });
      c.steps(writes, clock);
      assert.equal(writes.behind('ns/a', c.cached), c.behind);
      assert.equal(writes.behind('ns/a', c.cached), c.after, 'asked again');
    });
  }
});

describe('OwnWrites: creations', () => {
  const cases: { name: string; steps: (w: OwnWrites, clock: FakeClock) => void; cached: string[]; unseen: string[]; after: string[] }[] = [
    { name: 'nothing created', steps: () => {}, cached: ['x'], unseen: [], after: [] },
    { name: 'created, not cached yet: counted', steps: (w) => w.created('owner', object('a')), cached: [], unseen: ['a'], after: ['a'] },
    { name: 'created and cached: forgotten', steps: (w) => w.created('owner', object('a')), cached: ['a'], unseen: [], after: [] },
    { name: 'some seen, some not, oldest first', steps: (w) => { w.created('owner', object('a')); w.created('owner', object('b')); w.created('owner', object('c')); }, cached: ['b'], unseen: ['a', 'c'], after: ['a', 'c'] },
    { name: 'expired: created again if still missing', steps: (w, c) => { w.created('owner', object('a')); c.advance(TTL); }, cached: [], unseen: [], after: [] },
    { name: 'only the newer of two survives the ttl', steps: (w, c) => { w.created('owner', object('a')); c.advance(TTL / 2); w.created('owner', object('b')); c.advance(TTL / 2); }, cached: [], unseen: ['b'], after: ['b'] },
    { name: 'another scope is not affected', steps: (w) => w.created('other', object('a')), cached: [], unseen: [], after: [] },
    { name: 'forget: the owner is gone', steps: (w) => { w.created('owner', object('a')); w.forget('owner'); }, cached: [], unseen: [], after: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const clock = new FakeClock();
      const writes = new OwnWrites({ clock, ttlMs: TTL });
      c.steps(writes, clock);
      const cached = c.cached.map(object);
      assert.deepEqual(writes.unseen('owner', cached).map((o) => o.metadata.name), c.unseen);
      assert.deepEqual(writes.unseen('owner', cached).map((o) => o.metadata.name), c.after, 'asked again');
    });
  }

  test('entries nobody asks about again are swept after their time', () => {
    const clock = new FakeClock();
    const writes = new OwnWrites({ clock, ttlMs: TTL });
    writes.created('gone-owner', object('a'));
    writes.updated('ns/gone', '5');
    clock.advance(TTL);
    writes.created('owner', object('b')); // a write triggers the sweep
    const sizes = writes as unknown as { updates: Map<string, unknown>; creations: Map<string, unknown> };
    assert.deepEqual([...sizes.updates.keys()], []);
    assert.deepEqual([...sizes.creations.keys()], ['owner']);
  });
});
