// ExportReachable: the verdict for each probe result (table), and the probe itself: one read in flight
// per root, a result within the timeout whatever the read does, a real directory and a missing one.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Condition } from '../../../src/runtime/types.ts';
import { decideExportHealth, ExportProbe, readRoot, type ProbeResult } from '../../../src/controllers/nfs/export-health.ts';

const WHERE = '10.0.0.5:/exports';
const cond = (status: Condition['status'], reason: string, message = 'm'): Condition => ({ type: 'ExportReachable', status, reason, message, lastTransitionTime: '2024-01-01T00:00:00Z' });

describe('decideExportHealth', () => {
  type Want = { status: string; reason: string; event?: string } | undefined;
  const cases: [string, Condition | undefined, ProbeResult, number, Want][] = [
    ['first probe answers: True, no event', undefined, { kind: 'ok' }, 0, { status: 'True', reason: 'ExportResponding' }],
    ['still answering: no event', cond('True', 'ExportResponding'), { kind: 'ok' }, 0, { status: 'True', reason: 'ExportResponding' }],
    ['a read waiting less than the timeout changes nothing', cond('True', 'ExportResponding'), { kind: 'waiting', sinceMs: 0 }, 9_999, undefined],
    ['a read waiting for the timeout: an outage, with a Warning', cond('True', 'ExportResponding'), { kind: 'waiting', sinceMs: 0 }, 10_000,
      { status: 'False', reason: 'ExportNotResponding', event: 'Warning ExportNotResponding' }],
    ['an outage seen first: a Warning too', undefined, { kind: 'waiting', sinceMs: 0 }, 30_000, { status: 'False', reason: 'ExportNotResponding', event: 'Warning ExportNotResponding' }],
    ['the outage goes on: no second Warning', cond('False', 'ExportNotResponding'), { kind: 'waiting', sinceMs: 0 }, 40_000, { status: 'False', reason: 'ExportNotResponding' }],
    ['the read returns: True again, a Normal event', cond('False', 'ExportNotResponding'), { kind: 'ok' }, 50_000,
      { status: 'True', reason: 'ExportResponding', event: 'Normal ExportResponding' }],
    ['an error is not an outage: ExportNotUsable, a Warning', cond('True', 'ExportResponding'), { kind: 'failed', error: 'ESTALE' }, 0,
      { status: 'False', reason: 'ExportNotUsable', event: 'Warning ExportNotUsable' }],
    ['from not usable to not responding: a Warning for the new reason', cond('False', 'ExportNotUsable'), { kind: 'waiting', sinceMs: 0 }, 10_000,
      { status: 'False', reason: 'ExportNotResponding', event: 'Warning ExportNotResponding' }],
  ];
  for (const [name, previous, result, now, want] of cases) {
    test(name, () => {
      const got = decideExportHealth(previous, result, WHERE, now);
      if (want === undefined) return assert.equal(got, undefined);
      assert.ok(got);
      assert.equal(got.condition.status, want.status);
      assert.equal(got.condition.reason, want.reason);
      assert.equal(got.event ? `${got.event.type} ${got.event.reason}` : undefined, want.event);
    });
  }

  test('the outage message says where and for how long, and is not rewritten while it lasts', () => {
    const first = decideExportHealth(cond('True', 'ExportResponding'), { kind: 'waiting', sinceMs: 0 }, WHERE, 12_000)!;
    assert.match(first.condition.message, /10\.0\.0\.5:\/exports has not answered for 12s/);
    const later = decideExportHealth(cond('False', 'ExportNotResponding', first.condition.message), { kind: 'waiting', sinceMs: 0 }, WHERE, 40_000)!;
    assert.equal(later.condition.message, first.condition.message);
  });
});

describe('ExportProbe', () => {
  test('a read that never returns: "waiting" since its start, and no second read while it waits', async () => {
    let reads = 0;
    const probe = new ExportProbe(() => {
      reads++;
      return new Promise<ProbeResult>(() => {});
    });
    assert.deepEqual(await probe.probe('/export', 1_000, 20), { kind: 'waiting', sinceMs: 1_000 });
    assert.deepEqual(await probe.probe('/export', 5_000, 20), { kind: 'waiting', sinceMs: 1_000 });
    assert.equal(reads, 1);
  });

  test('a read that returns late ends the wait; the next probe reads again', async () => {
    let release!: (r: ProbeResult) => void;
    let reads = 0;
    const probe = new ExportProbe(() => {
      reads++;
      return reads === 1 ? new Promise<ProbeResult>((resolve) => (release = resolve)) : Promise.resolve({ kind: 'ok' });
    });
    assert.equal((await probe.probe('/export', 0, 20)).kind, 'waiting');
    release({ kind: 'ok' });
    assert.deepEqual(await probe.probe('/export', 100, 20), { kind: 'ok' });
    assert.deepEqual(await probe.probe('/export', 200, 20), { kind: 'ok' });
    assert.equal(reads, 2);
  });

  test('reads a real directory, and fails on a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-health-'));
    try {
      assert.deepEqual(await readRoot(dir), { kind: 'ok' });
      const missing = await readRoot(join(dir, 'missing'));
      assert.equal(missing.kind, 'failed');
      assert.match((missing as { error: string }).error, /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
