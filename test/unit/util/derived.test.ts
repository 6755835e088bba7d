import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { perVersion, perVersionKeyed } from '../../../src/runtime/util/derived.ts';

describe('perVersion', () => {
  test('derives once per object, again for the next version of it', () => {
    const calls: string[] = [];
    const lengthOf = perVersion((o: { text: string }) => {
      calls.push(o.text);
      return o.text.length;
    });
    const v1 = { text: 'abc' };
    const v2 = { text: 'abcdef' }; // the watch replaced v1: a new object
    assert.deepEqual([lengthOf(v1), lengthOf(v1), lengthOf(v2), lengthOf(v1), lengthOf(v2)], [3, 3, 6, 3, 6]);
    assert.deepEqual(calls, ['abc', 'abcdef']);
  });

  test('remembers an undefined result too', () => {
    let calls = 0;
    const nothing = perVersion((_: object) => {
      calls++;
      return undefined;
    });
    const o = {};
    assert.deepEqual([nothing(o), nothing(o)], [undefined, undefined]);
    assert.equal(calls, 1);
  });
});

describe('perVersionKeyed', () => {
  test('derives once per object and key', () => {
    const calls: string[] = [];
    const field = perVersionKeyed((o: Record<string, number>, key: string) => {
      calls.push(key);
      return o[key];
    });
    const o = { a: 1, b: 2 };
    const cases: [Record<string, number>, string, number | undefined][] = [
      [o, 'a', 1],
      [o, 'b', 2],
      [o, 'a', 1],
      [o, 'c', undefined],
      [o, 'c', undefined],
      [{ a: 5 }, 'a', 5],
    ];
    for (const [obj, key, want] of cases) assert.equal(field(obj, key), want, key);
    assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
  });
});
