// The short fuzz run (test/fuzz; `make fuzz` sends 1,000 objects per kind): generated objects of every
// Tentacle kind are either rejected at admission with a message naming what is wrong, or accepted and
// handled without a crash, an unhandled rejection or an error loop. It starts its own control plane.
import assert from 'node:assert/strict';
import { jest, test } from '@jest/globals';
import { runFuzz } from '../fuzz/fuzz.ts';
import { describeFuzz } from '../fuzz/report.ts';

jest.setTimeout(900_000);

const PER_KIND = 100;

test('fuzz: every generated object is rejected clearly or handled without a crash', async () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const report = await runFuzz({ perKind: PER_KIND, seed, windowMs: 20_000, log: (line) => process.stdout.write(line + '\n') });
  for (const line of describeFuzz(report)) process.stdout.write(line + '\n');
  const accepted = report.kinds.reduce((n, k) => n + k.accepted, 0);
  for (const kind of report.kinds) {
    assert.equal(kind.sent, PER_KIND, kind.kind);
    assert.equal(kind.accepted + kind.rejected, kind.sent, kind.kind);
    assert.deepEqual(kind.unclear, [], `${kind.kind}: rejections a person cannot act on (seed ${seed})`);
  }
  assert.ok(accepted > 0, 'some objects got past admission');
  assert.equal(report.operatorRestarts, 0, `the operator never restarted (seed ${seed})`);
  assert.equal(report.unhandledRejections, 0, `no unhandled rejection (seed ${seed})`);
  assert.ok((report.busiestKey?.errors ?? 0) <= report.retryBound, `retries back off: ${JSON.stringify(report.busiestKey)} in the last ${report.windowMs / 1000} s (seed ${seed})`);
});
