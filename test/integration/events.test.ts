// The event recorder against the API server: client-go's per-object spam filter (25 at once, then
// one per 5 minutes), so a controller busy with one object cannot flood the API with Events; repeats
// written as one Event's series; bursts of distinct events written, not dropped.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { Recorder } from '../../src/runtime/events/recorder.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics/metrics.ts';
import { FakeClock } from '../../src/runtime/util/clock.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };

describe('event recorder', () => {
  let client: Client;
  let namespace: string;

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'events');
  });

  afterAll(async () => {
    await deleteNamespace(client, namespace);
    await client.close();
  });

  test('an object gets at most 25 events at once, then one more every 5 minutes', async () => {
    const clock = new FakeClock();
    const recorder = new Recorder(client, 'tentacle.dev/test', { clock });
    const cm = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'busy', namespace } });
    for (let i = 0; i < 30; i++) recorder.event(cm, 'Normal', 'Step', 'Test', `step ${i}`);
    await recorder.drain();
    const notes = async () =>
      (await client.list<{ metadata: object; note: string; regarding: { name: string } }>(EVENTS, { namespace })).items.map((e) => e.note).sort();
    assert.equal((await notes()).length, 25);
    clock.advance(300_000);
    recorder.event(cm, 'Normal', 'Step', 'Test', 'after five minutes');
    recorder.event(cm, 'Normal', 'Step', 'Test', 'one too many');
    await recorder.drain();
    const all = await notes();
    assert.equal(all.length, 26);
    assert.ok(all.includes('after five minutes'));
    assert.ok(!all.includes('one too many'));
    // Other objects have their own budget.
    const other = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'quiet', namespace } });
    recorder.event(other, 'Normal', 'Step', 'Test', 'quiet object');
    await recorder.drain();
    assert.ok((await notes()).includes('quiet object'));
  });

  test('repeats of an event become one Event with a series count, whether written yet or not', async () => {
    const recorder = new Recorder(client, 'tentacle.dev/test');
    const cm = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'repeats', namespace } });
    for (let i = 0; i < 10; i++) recorder.event(cm, 'Warning', 'Again', 'Test', 'the same thing');
    await recorder.drain();
    for (let i = 0; i < 5; i++) recorder.event(cm, 'Warning', 'Again', 'Test', 'the same thing');
    await recorder.drain();
    const events = (await client.list<{ metadata: object; note: string; series?: { count: number } }>(EVENTS, { namespace })).items.filter(
      (e) => e.note === 'the same thing',
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.series?.count, 15);
  });

  test('a burst of 1,500 distinct events (more than client-go queues) is written in full, none dropped', async () => {
    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const recorder = new Recorder(client, 'tentacle.dev/burst', { dropped: metrics.eventsDropped });
    const owner = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'burst', namespace } });
    // Distinct objects (each within its own spam budget), as a provisioner reporting on many claims.
    for (let i = 0; i < 1500; i++) {
      const regarding = { ...owner, metadata: { ...owner.metadata, name: `claim-${i}`, uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` } };
      recorder.event(regarding, 'Normal', 'Provisioned', 'Provision', `volume ${i}`);
    }
    await recorder.drain();
    const notes = (await client.list<{ metadata: object; note: string }>(EVENTS, { namespace })).items.filter((e) => e.note.startsWith('volume '));
    assert.equal(notes.length, 1500);
    assert.equal((await metrics.eventsDropped.get()).values.reduce((sum, v) => sum + v.value, 0), 0);
  });
});
