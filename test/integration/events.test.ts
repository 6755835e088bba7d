// The event recorder against the API server: client-go's per-object spam filter (25 at once, then
// one per 5 minutes), so a controller busy with one object cannot flood the API with Events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { Recorder } from '../../src/runtime/events/recorder.ts';
import { FakeClock } from '../../src/runtime/util/clock.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };

describe('event recorder', () => {
  let client: Client;
  let namespace: string;

  before(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'events');
  });

  after(async () => {
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
});
