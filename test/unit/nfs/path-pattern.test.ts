import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  MAX_VOLUME_NAME_BYTES,
  defaultVolumeDir,
  expandPathPattern,
  isSameOrWithin,
  nfsVolumePath,
  relDirFromNfsPath,
  validateRelDir,
} from '../../../src/controllers/nfs/path-pattern.ts';
import type { PvcMeta } from '../../../src/controllers/nfs/path-pattern.ts';

const PV = 'pvc-0b5c3a1e-2f4d-4c8e-9a7b-1d2e3f4a5b6c';
const pvc = (o: Partial<PvcMeta> = {}): PvcMeta => ({
  namespace: 'team-a',
  name: 'data',
  labels: { app: 'web', 'app.kubernetes.io/name': 'shop', tier: 'db' },
  annotations: { 'nfs.io/storage-path': 'shared/logs', plain: 'x', empty: '' },
  ...o,
});

const ok = (pattern: string | undefined, dir: string, claim: PvcMeta = pvc()): void => {
  assert.deepEqual(expandPathPattern(pattern, claim, PV), { ok: true, dir }, `pattern ${JSON.stringify(pattern)}`);
};
const bad = (pattern: string | undefined, match: RegExp, claim: PvcMeta = pvc()): void => {
  const r = expandPathPattern(pattern, claim, PV);
  assert.equal(r.ok, false, `pattern ${JSON.stringify(pattern)} should be refused, got ${JSON.stringify(r)}`);
  if (!r.ok) assert.match(r.error, match);
};

describe('expandPathPattern: upstream-compatible results', () => {
  const DEF = `team-a-data-${PV}`;
  const cases: [string | undefined, string][] = [
    [undefined, DEF],
    ['', DEF],
    ['${.PVC.namespace}', 'team-a'],
    ['${.PVC.name}', 'data'],
    ['${.PVC.namespace}-${.PVC.name}', 'team-a-data'],
    ['/${.PVC.namespace}-${.PVC.name}', 'team-a-data'], // leading slash collapses (filepath.Join)
    ['${.PVC.namespace}/${.PVC.name}/', 'team-a/data'], // trailing slash collapses
    ['${.PVC.namespace}//${.PVC.name}', 'team-a/data'],
    ['${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}', 'team-a/shared/logs'],
    ['${.PVC.labels.app}', 'web'],
    ['${.PVC.labels.app.kubernetes.io/name}-${.PVC.name}', 'shop-data'], // dotted, slashed label key
    ['static/${.PVC.name}', 'static/data'],
    ['${.PVC.name}${.PVC.name}', 'datadata'],
    ['pvc-$1-${.PVC.name}', 'pvc-$1-data'], // a lone "$" is literal
    ['${.PVC.labels.tier}/${.PVC.namespace}/${.PVC.name}', 'db/team-a/data'],
    // Missing label / annotation reads as "" (upstream doc: "will accept as empty string").
    ['${.PVC.namespace}/${.PVC.annotations.missing}', 'team-a'],
    ['${.PVC.namespace}/${.PVC.annotations.empty}/x', 'team-a/x'],
    ['${.PVC.labels.missing}-${.PVC.name}', '-data'],
    // Empty expansion → default directory, as upstream; never the export root.
    ['${.PVC.labels.missing}', DEF],
    ['${.PVC.annotations.empty}', DEF],
    ['/', DEF],
    ['/${.PVC.annotations.missing}/', DEF],
    ['///', DEF],
  ];
  for (const [pattern, dir] of cases) test(`${JSON.stringify(pattern)} → ${dir}`, () => ok(pattern, dir));

  test('default directory is <namespace>-<pvc>-<pv>', () => {
    assert.equal(defaultVolumeDir({ namespace: 'ns', name: 'c' }, 'pv1'), 'ns-c-pv1');
  });

  test('values are inserted literally, never expanded again', () => {
    ok('${.PVC.annotations.a}-${.PVC.name}', '${.PVC.name}-data', pvc({ annotations: { a: '${.PVC.name}' } }));
  });

  test('unicode names are allowed', () => {
    ok('${.PVC.annotations.p}', 'données/日本語-✓', pvc({ annotations: { p: 'données/日本語-✓' } }));
  });

  test('percent-encoded dots are a plain name, not a traversal', () => {
    ok('${.PVC.annotations.p}', '%2e%2e/%2E%2E%2Fetc', pvc({ annotations: { p: '%2e%2e/%2E%2E%2Fetc' } }));
  });

  test('names with dots that are not . or .. are fine', () => {
    ok('${.PVC.annotations.p}', '...', pvc({ annotations: { p: '...' } }));
    ok('${.PVC.annotations.p}', '.hidden/a..b', pvc({ annotations: { p: '.hidden/a..b' } }));
  });

  test('inherited object keys are not labels', () => {
    ok('${.PVC.labels.constructor}-x', '-x', pvc({ labels: {} }));
    ok('${.PVC.labels.__proto__}-x', '-x', pvc({ labels: {} }));
  });
});

describe('expandPathPattern: traversal and ambiguity refused', () => {
  const attacks: [string, string, RegExp][] = [
    // [description, annotation value used as the whole pattern's value, error]
    ['parent', '../x', /"\.\."/],
    ['parent in the middle', 'a/../../x', /"\.\."/],
    ['only parent', '..', /"\.\."/],
    ['dot', './x', /"\."/],
    ['absolute', '/etc', /absolute/],
    ['absolute root', '/', /absolute/],
    ['double slash', 'a//b', /empty path segment/],
    ['trailing slash', 'a/', /empty path segment/],
    ['NUL', 'a\0b', /NUL/],
    ['NUL then traversal', 'x\0/../../etc', /NUL|"\.\."/],
    ['newline', 'a\nb', /control character/],
    ['carriage return', 'a\rb', /control character/],
    ['tab', 'a\tb', /control character/],
    ['escape', 'a\x1b[31mb', /control character/],
    ['DEL', 'a\x7fb', /control character/],
    ['C1 control', 'a\u0085b', /control character/],
    ['backslash traversal', '..\\..\\etc', /backslash/],
    ['lone surrogate', 'a\ud800b', /well-formed/],
  ];
  for (const [what, value, match] of attacks) {
    test(`annotation value: ${what}`, () => {
      bad('${.PVC.namespace}/${.PVC.annotations.p}', match, pvc({ annotations: { p: value } }));
      bad('${.PVC.annotations.p}', match, pvc({ annotations: { p: value } }));
    });
  }

  test('the same values through labels are refused too', () => {
    bad('${.PVC.labels.l}', /"\.\."/, pvc({ labels: { l: '../../etc' } }));
    bad('x-${.PVC.labels.l}', /absolute/, pvc({ labels: { l: '/../../etc' } }));
  });

  test('a claim name or namespace that is a traversal is refused', () => {
    bad('${.PVC.namespace}/${.PVC.name}', /"\.\."/, pvc({ name: '..' }));
    bad('${.PVC.name}', /"\.\."/, pvc({ name: '..' }));
    bad('${.PVC.namespace}', /"\.\."/, pvc({ namespace: '..' }));
    bad(undefined, /contains "\/"/, pvc({ name: '../../etc' }));
    bad(undefined, /NUL/, pvc({ name: 'a\0' }));
  });

  test('traversal in the pattern text itself is refused, not cleaned away', () => {
    bad('../${.PVC.name}', /"\.\."/);
    bad('${.PVC.namespace}/../${.PVC.name}', /"\.\."/);
    bad('./${.PVC.name}', /"\."/);
    bad('a\\b/${.PVC.name}', /backslash/);
    bad('a\nb/${.PVC.name}', /control character/);
  });

  test('a value ending in a partial traversal cannot combine with the pattern into ..', () => {
    bad('.${.PVC.annotations.p}/x', /"\."/, pvc({ annotations: { p: '.' } }));
    ok('.${.PVC.annotations.p}/x', '..x/x', pvc({ annotations: { p: '.x' } })); // "..x" is a plain name
    // An empty value between two literal dots makes ".." after expansion: refused on the result.
    bad('.${.PVC.annotations.missing}./x', /"\.\."/);
    bad('${.PVC.namespace}/.${.PVC.annotations.missing}', /"\."/);

    // "." alone as a value is refused before it is combined
    bad('${.PVC.annotations.p}', /"\."/, pvc({ annotations: { p: '.' } }));
  });

  test('unknown keys are refused with the list of supported ones', () => {
    bad('${.PVC.uid}', /unknown; use \$\{\.PVC\.namespace\}/);
    bad('${.PVC.labels}', /unknown/);
    bad('${.PVC.labels.}', /names no label key/);
    bad('${.PVC.annotations.}', /names no annotation key/);
    bad('${.PVC.}', /unknown/);
    bad('${.PVC.spec.storageClassName}', /unknown/);
  });

  test('text that looks like a placeholder but is not one is refused', () => {
    bad('${.pvc.name}', /not a placeholder/);
    bad('${namespace}-${.PVC.name}', /"\$\{namespace\}"/);
    bad('${.PVC.name', /not a placeholder/);
    bad('${.PVC.name}-${', /not a placeholder/);
    bad('a-${PVC.name}', /not a placeholder/);
  });

  test('overlong names are refused', () => {
    const long = 'a'.repeat(300);
    bad('${.PVC.annotations.p}', /300 bytes; the limit is 255/, pvc({ annotations: { p: `${long}/x` } }));
    bad('${.PVC.annotations.p}', /300 bytes; the limit is 226.*archived-/, pvc({ annotations: { p: long } }));
    // The last segment leaves room for the archive name; earlier ones may use all 255 bytes.
    ok('${.PVC.annotations.p}', `${'b'.repeat(255)}/${'c'.repeat(MAX_VOLUME_NAME_BYTES)}`,
      pvc({ annotations: { p: `${'b'.repeat(255)}/${'c'.repeat(MAX_VOLUME_NAME_BYTES)}` } }));
    bad('${.PVC.annotations.p}', /limit is 226/, pvc({ annotations: { p: 'c'.repeat(MAX_VOLUME_NAME_BYTES + 1) } }));
    // Bytes, not characters: 100 × "é" is 200 bytes, 120 × "日" is 360.
    ok('${.PVC.annotations.p}', 'é'.repeat(100), pvc({ annotations: { p: 'é'.repeat(100) } }));
    bad('${.PVC.annotations.p}', /360 bytes/, pvc({ annotations: { p: '日'.repeat(120) } }));
  });

  test('a whole path over 4096 bytes is refused', () => {
    const p = `${Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/')}/e`;
    bad('${.PVC.annotations.p}', /bytes long; the limit is 4096/, pvc({ annotations: { p } }));
  });

  test('an overlong default name is refused, not truncated', () => {
    bad(undefined, /default directory name .* limit is 226/, pvc({ name: 'n'.repeat(200) }));
    ok(undefined, `team-a-${'n'.repeat(100)}-${PV}`, pvc({ name: 'n'.repeat(100) }));
  });

  test('empty identity fields are refused for the default name', () => {
    bad(undefined, /namespace is empty/, pvc({ namespace: '' }));
    bad('${.PVC.annotations.missing}', /claim name is empty/, pvc({ name: '' }));
  });
});

describe('validateRelDir', () => {
  const good = ['a', 'a/b', 'archived-x', 'a b', 'é/日'];
  for (const g of good) test(`accepts ${JSON.stringify(g)}`, () => assert.equal(validateRelDir(g).ok, true));
  const refused: [string, RegExp][] = [
    ['', /export root itself/],
    ['/a', /absolute/],
    ['a/', /empty path segment/],
    ['a//b', /empty path segment/],
    ['..', /"\.\."/],
    ['a/../b', /"\.\."/],
    ['.', /"\."/],
    ['a/./b', /"\."/],
    ['a\0', /NUL/],
    ['a\n', /control/],
    ['a\\b', /backslash/],
    ['x'.repeat(256), /256 bytes/],
    [Array.from({ length: 17 }, () => 'y'.repeat(250)).join('/'), /4096/],
  ];
  for (const [rel, match] of refused) {
    test(`refuses ${JSON.stringify(rel.slice(0, 20))}`, () => {
      const r = validateRelDir(rel);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, match);
    });
  }
});

describe('helpers', () => {
  test('isSameOrWithin compares whole segments', () => {
    assert.equal(isSameOrWithin('ns', 'ns'), true);
    assert.equal(isSameOrWithin('ns', 'ns/a'), true);
    assert.equal(isSameOrWithin('ns', 'ns-a'), false);
    assert.equal(isSameOrWithin('ns/a', 'ns'), false);
  });

  test('nfsVolumePath joins like filepath.Join for a clean directory', () => {
    assert.equal(nfsVolumePath('/export', 'a/b'), '/export/a/b');
    assert.equal(nfsVolumePath('/export/', 'a'), '/export/a');
    assert.equal(nfsVolumePath('/', 'a'), '/a');
  });

  test('relDirFromNfsPath needs a real prefix and a safe remainder', () => {
    assert.deepEqual(relDirFromNfsPath('/export', '/export/ns/a'), { ok: true, dir: 'ns/a' });
    assert.deepEqual(relDirFromNfsPath('/export/', '/export/a'), { ok: true, dir: 'a' });
    assert.deepEqual(relDirFromNfsPath('/', '/a'), { ok: true, dir: 'a' });
    assert.equal(relDirFromNfsPath('/export', '/exported/a').ok, false);
    assert.equal(relDirFromNfsPath('/export', '/other/export/a').ok, false); // upstream's strings.Replace would accept
    assert.equal(relDirFromNfsPath('/export', '/export').ok, false);
    assert.equal(relDirFromNfsPath('/export', '/export/').ok, false);
    assert.equal(relDirFromNfsPath('/export', '/export/../etc').ok, false);
    assert.equal(relDirFromNfsPath('/export', '/export/a/../../etc').ok, false);
    assert.equal(relDirFromNfsPath('/export', '/export//a').ok, false);
  });
});
