import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { goJson } from '../../../src/runtime/client/rest.ts';

test('goJson escapes what Go escapes, and only inside strings it means the same document', () => {
  const cases: [unknown, string][] = [
    [{ cmd: 'a && b' }, '{"cmd":"a \\u0026\\u0026 b"}'],
    [{ html: '<b>' }, '{"html":"\\u003cb\\u003e"}'],
    [{ sep: '\u2028\u2029' }, '{"sep":"\\u2028\\u2029"}'],
    [{ plain: 'x', n: 1, list: [true, null] }, '{"plain":"x","n":1,"list":[true,null]}'],
  ];
  for (const [value, want] of cases) {
    assert.equal(goJson(value), want);
    assert.deepEqual(JSON.parse(goJson(value)), value);
  }
});
