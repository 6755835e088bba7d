import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { parseDirectoryId, parseDirectoryMode, parseGoBool, resolveOnDelete } from '../../../src/controllers/nfs/policy.ts';

describe('resolveOnDelete (upstream Delete)', () => {
  const cases: [{ onDelete?: string; archiveOnDelete?: string | boolean }, string][] = [
    [{}, 'archive'],
    [{ onDelete: 'delete' }, 'delete'],
    [{ onDelete: 'retain' }, 'retain'],
    [{ onDelete: 'archive' }, 'archive'],
    [{ onDelete: 'delete', archiveOnDelete: 'true' }, 'delete'], // onDelete wins
    [{ onDelete: 'retain', archiveOnDelete: 'false' }, 'retain'],
    [{ archiveOnDelete: 'false' }, 'delete'],
    [{ archiveOnDelete: 'False' }, 'delete'],
    [{ archiveOnDelete: '0' }, 'delete'],
    [{ archiveOnDelete: 'true' }, 'archive'],
    [{ archiveOnDelete: 't' }, 'archive'],
    [{ archiveOnDelete: false }, 'delete'],
    [{ onDelete: '', archiveOnDelete: 'false' }, 'delete'],
  ];
  for (const [params, want] of cases) {
    test(`${JSON.stringify(params)} → ${want}`, () => assert.deepEqual(resolveOnDelete(params), { ok: true, value: want }));
  }
  test('bad values are errors', () => {
    assert.equal(resolveOnDelete({ archiveOnDelete: 'yes' }).ok, false);
    assert.equal(resolveOnDelete({ onDelete: 'Delete' }).ok, false);
  });
  test('parseGoBool', () => {
    assert.equal(parseGoBool('TRUE'), true);
    assert.equal(parseGoBool('tRUE'), undefined);
  });
});

describe('directory mode and ids (upstream getModeFromString / getIdFromString)', () => {
  test('mode', () => {
    assert.deepEqual(parseDirectoryMode(undefined), { ok: true, value: 0o777 });
    assert.deepEqual(parseDirectoryMode(''), { ok: true, value: 0o777 });
    assert.deepEqual(parseDirectoryMode('0750'), { ok: true, value: 0o750 });
    assert.deepEqual(parseDirectoryMode('755'), { ok: true, value: 0o755 });
    assert.deepEqual(parseDirectoryMode('0'), { ok: true, value: 0 });
    for (const b of ['1777', '4755', '0o755', '8', 'rwx', '-1', '0x1ff']) assert.equal(parseDirectoryMode(b).ok, false, b);
  });
  test('ids', () => {
    assert.deepEqual(parseDirectoryId(undefined), { ok: true, value: 0 });
    assert.deepEqual(parseDirectoryId('1000'), { ok: true, value: 1000 });
    assert.deepEqual(parseDirectoryId('65535'), { ok: true, value: 65535 });
    assert.deepEqual(parseDirectoryId('-0'), { ok: true, value: 0 });
    for (const b of ['65536', '-1', '1e3', 'root', '1.5']) assert.equal(parseDirectoryId(b).ok, false, b);
  });
});
