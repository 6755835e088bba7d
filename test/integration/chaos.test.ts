// The short chaos run (test/chaos; `make chaos` is the full one): two operator replicas with leader
// election keep every guarantee while the leader is killed, the API server restarts and etcd is
// compacted under a small workload. It starts its own control plane, so it shares nothing with the
// other tests.
import assert from 'node:assert/strict';
import { jest, test } from '@jest/globals';
import { brokenGuarantees, describe, runChaos } from '../chaos/scenario.ts';
import { SHORT } from '../chaos/sizes.ts';

jest.setTimeout(900_000);

test('chaos: leader kills, API-server restarts and an etcd compaction leave exact counts and no leaks', async () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const report = await runChaos({ ...SHORT, seed, log: (line) => process.stdout.write(line + '\n') });
  for (const line of describe(report)) process.stdout.write(line + '\n');
  assert.deepEqual(brokenGuarantees(report, SHORT), [], `seed ${seed}`);
});
