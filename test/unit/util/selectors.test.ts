import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  matchesSelector,
  parseSelector,
  selectorToString,
  validateLabelKey,
  validateLabelValue,
  validateSelector,
} from '../../../src/runtime/util/selectors.ts';
import type { LabelSelector } from '../../../src/runtime/types.ts';

const labels = { app: 'web', tier: 'frontend', env: '' };

describe('matchesSelector', () => {
  const cases: { name: string; selector: LabelSelector | undefined | null; labels?: Record<string, string>; want: boolean }[] = [
    { name: 'nil selector matches nothing', selector: undefined, labels, want: false },
    { name: 'null selector matches nothing', selector: null, labels, want: false },
    { name: 'empty selector matches everything', selector: {}, labels, want: true },
    { name: 'empty selector matches unlabelled objects', selector: {}, labels: undefined, want: true },
    { name: 'empty matchLabels/matchExpressions is empty', selector: { matchLabels: {}, matchExpressions: [] }, labels: {}, want: true },
    { name: 'matchLabels hit', selector: { matchLabels: { app: 'web' } }, labels, want: true },
    { name: 'matchLabels all must hold', selector: { matchLabels: { app: 'web', tier: 'backend' } }, labels, want: false },
    { name: 'matchLabels missing key', selector: { matchLabels: { zone: 'a' } }, labels, want: false },
    { name: 'matchLabels empty value matches empty label', selector: { matchLabels: { env: '' } }, labels, want: true },
    { name: 'matchLabels empty value does not match missing label', selector: { matchLabels: { zone: '' } }, labels, want: false },
    { name: 'In hit', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] }, labels, want: true },
    { name: 'In miss', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] }, labels, want: false },
    { name: 'In on missing label', selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, labels, want: false },
    { name: 'NotIn hit', selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }] }, labels, want: true },
    { name: 'NotIn miss', selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] }, labels, want: false },
    { name: 'NotIn on missing label matches', selector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels, want: true },
    { name: 'Exists hit', selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels, want: true },
    { name: 'Exists with empty value', selector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels, want: true },
    { name: 'Exists miss', selector: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels, want: false },
    { name: 'DoesNotExist hit', selector: { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels, want: true },
    { name: 'DoesNotExist miss', selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels, want: false },
    { name: 'DoesNotExist on unlabelled object', selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels: undefined, want: true },
    {
      name: 'matchLabels and matchExpressions ANDed (all hold)',
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }, { key: 'zone', operator: 'DoesNotExist' }] },
      labels,
      want: true,
    },
    {
      name: 'matchLabels and matchExpressions ANDed (one fails)',
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] },
      labels,
      want: false,
    },
    { name: 'inherited keys are not labels', selector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, labels, want: false },
    { name: 'invalid selector matches nothing', selector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }, labels, want: false },
    {
      name: 'unknown operator matches nothing',
      selector: { matchExpressions: [{ key: 'app', operator: 'Gt' as 'In', values: ['1'] }] },
      labels,
      want: false,
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(matchesSelector(c.selector, c.labels), c.want));
  }
});

describe('selectorToString', () => {
  const cases: { name: string; selector: LabelSelector; want: string }[] = [
    { name: 'empty', selector: {}, want: '' },
    { name: 'matchLabels sorted by key', selector: { matchLabels: { b: '2', a: '1' } }, want: 'a=1,b=2' },
    { name: 'empty label value', selector: { matchLabels: { a: '' } }, want: 'a=' },
    { name: 'In values sorted and de-duplicated', selector: { matchExpressions: [{ key: 'c', operator: 'In', values: ['y', 'x', 'y'] }] }, want: 'c in (x,y)' },
    { name: 'NotIn', selector: { matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['z'] }] }, want: 'c notin (z)' },
    { name: 'Exists', selector: { matchExpressions: [{ key: 'e', operator: 'Exists' }] }, want: 'e' },
    { name: 'DoesNotExist', selector: { matchExpressions: [{ key: 'd', operator: 'DoesNotExist' }] }, want: '!d' },
    {
      name: 'everything, deterministic order',
      selector: {
        matchExpressions: [
          { key: 'e', operator: 'Exists' },
          { key: 'd', operator: 'DoesNotExist' },
          { key: 'c', operator: 'In', values: ['y', 'x'] },
        ],
        matchLabels: { a: 'b' },
      },
      want: 'a=b,c in (x,y),!d,e',
    },
    {
      name: 'same key twice: ordered by text',
      selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'Exists' }] },
      want: 'a,a=b',
    },
    { name: 'prefixed key', selector: { matchLabels: { 'app.kubernetes.io/name': 'x' } }, want: 'app.kubernetes.io/name=x' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(selectorToString(c.selector), c.want));
  }
  test('invalid selector throws', () => {
    assert.throws(() => selectorToString({ matchExpressions: [{ key: 'a', operator: 'In' }] }), /invalid label selector: .*values set can't be empty/);
  });
});

describe('validateSelector', () => {
  const cases: { name: string; selector: LabelSelector | undefined | null; error?: RegExp }[] = [
    { name: 'nil is valid', selector: undefined },
    { name: 'empty is valid', selector: {} },
    { name: 'In with values', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] } },
    { name: 'Exists without values', selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } },
    { name: 'Exists with empty values array', selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: [] }] } },
    { name: 'In without values', selector: { matchExpressions: [{ key: 'a', operator: 'In' }] }, error: /matchExpressions\[0\]: .*'In', 'NotIn'.*can't be empty/ },
    { name: 'NotIn with empty values', selector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }, error: /can't be empty/ },
    { name: 'Exists with values', selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, error: /must be empty for 'Exists'/ },
    {
      name: 'DoesNotExist with values',
      selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'DoesNotExist', values: ['x'] }] },
      error: /matchExpressions\[1\]: values set must be empty/,
    },
    { name: 'unknown operator', selector: { matchExpressions: [{ key: 'a', operator: 'in' as 'In', values: ['x'] }] }, error: /"in" is not a valid label selector operator/ },
    { name: 'bad key in matchLabels', selector: { matchLabels: { 'a b': 'x' } }, error: /matchLabels: invalid label key "a b"/ },
    { name: 'bad value in matchLabels', selector: { matchLabels: { a: '-x' } }, error: /invalid value "-x" for label "a"/ },
    { name: 'bad value in In', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'x/y'] }] }, error: /invalid value "x\/y"/ },
    { name: 'bad key in expression', selector: { matchExpressions: [{ key: '', operator: 'Exists' }] }, error: /name part must be non-empty/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = validateSelector(c.selector);
      if (c.error) assert.match(got ?? '<valid>', c.error);
      else assert.equal(got, undefined);
    });
  }
});

describe('label keys and values', () => {
  const keys: [string, boolean][] = [
    ['app', true],
    ['a', true],
    ['A_b.c-9', true],
    ['app.kubernetes.io/name', true],
    ['example.com/x', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['', false],
    ['-app', false],
    ['app-', false],
    ['a b', false],
    ['/name', false],
    ['prefix/', false],
    ['a/b/c', false],
    ['Example.com/x', false],
    [`${'a'.repeat(254)}/x`, false],
  ];
  for (const [key, ok] of keys) {
    test(`key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 20)}…(${key.length})` : key)} ${ok ? 'valid' : 'invalid'}`, () => {
      assert.equal(validateLabelKey(key) === undefined, ok);
    });
  }
  const values: [string, boolean][] = [
    ['', true],
    ['v1', true],
    ['a.b_c-d', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['-x', false],
    ['x-', false],
    ['a/b', false],
    ['a b', false],
  ];
  for (const [value, ok] of values) {
    test(`value ${JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…(${value.length})` : value)} ${ok ? 'valid' : 'invalid'}`, () => {
      assert.equal(validateLabelValue('k', value) === undefined, ok);
    });
  }
});

describe('parseSelector (labels.Parse)', () => {
  const valid: [string, LabelSelector, Record<string, string>[], Record<string, string>[]][] = [
    ['', {}, [{}, { a: 'b' }], []],
    ['app=web', { matchLabels: { app: 'web' } }, [{ app: 'web', x: 'y' }], [{ app: 'db' }, {}]],
    ['app==web,tier=front', { matchLabels: { app: 'web', tier: 'front' } }, [{ app: 'web', tier: 'front' }], [{ app: 'web' }]],
    ['app!=web', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, [{}, { app: 'db' }], [{ app: 'web' }]],
    [
      'env in (prod, qa),tier notin (db)',
      {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'qa'] },
          { key: 'tier', operator: 'NotIn', values: ['db'] },
        ],
      },
      [{ env: 'qa' }, { env: 'prod', tier: 'web' }],
      [{ env: 'dev' }, { env: 'prod', tier: 'db' }],
    ],
    [
      'example.com/team,!canary',
      {
        matchExpressions: [
          { key: 'example.com/team', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      [{ 'example.com/team': 'x' }],
      [{ 'example.com/team': 'x', canary: '1' }, {}],
    ],
    ['a=b,a=c', { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['c'] }] }, [], [{ a: 'b' }, { a: 'c' }]],
  ];
  for (const [text, want, matching, notMatching] of valid) {
    test(JSON.stringify(text), () => {
      const got = parseSelector(text);
      assert.deepEqual(got, want);
      for (const labels of matching) assert.equal(matchesSelector(got, labels), true, JSON.stringify(labels));
      for (const labels of notMatching) assert.equal(matchesSelector(got, labels), false, JSON.stringify(labels));
    });
  }
  for (const text of ['a=b=c', 'a in (b', 'a > 3', '-bad=key', 'a=b,,c', 'a=' + 'x'.repeat(64)]) {
    test(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseSelector(text), /invalid label selector/));
  }
  test('round-trips selectorToString', () => {
    const sel: LabelSelector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] };
    assert.equal(selectorToString(parseSelector(selectorToString(sel))), selectorToString(sel));
  });
});
