import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { covers, project, unionOf, type FieldSet, type Projection } from '../../../src/runtime/cache/fields.ts';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', labels: { app: 'a' }, resourceVersion: '7' },
  spec: {
    nodeName: 'n1',
    containers: [
      { name: 'main', image: 'busybox', resources: { requests: { cpu: '10m' } }, volumeMounts: [{ name: 'token', mountPath: '/t' }] },
      { name: 'side', image: 'busybox' },
    ],
    volumes: [{ name: 'token', projected: { sources: [] } }, { name: 'data', persistentVolumeClaim: { claimName: 'data-p' } }],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
  status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
};

describe('project', () => {
  const cases: { name: string; fields: Projection; want: object }[] = [
    { name: 'whole keeps the very object', fields: 'whole', want: pod },
    { name: 'no fields: apiVersion, kind and metadata only', fields: {}, want: { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata } },
    {
      name: 'a field kept whole',
      fields: { status: true },
      want: { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, status: pod.status },
    },
    {
      name: 'fields of an object and of each element of an array',
      fields: { spec: { nodeName: true, containers: { name: true, resources: true }, volumes: { name: true, persistentVolumeClaim: true } } },
      want: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: pod.metadata,
        spec: {
          nodeName: 'n1',
          containers: [{ name: 'main', resources: { requests: { cpu: '10m' } } }, { name: 'side' }],
          volumes: [{ name: 'token' }, { name: 'data', persistentVolumeClaim: { claimName: 'data-p' } }],
        },
      },
    },
    {
      name: 'absent fields stay absent; a scalar where an object was declared is kept as is',
      fields: { spec: { hostname: true, nodeName: { x: true } }, missing: true },
      want: { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, spec: { nodeName: 'n1' } },
    },
  ];
  for (const c of cases) void test(c.name, () => assert.deepEqual(project(pod, c.fields), c.want));

  test('leaves the source object as it was', () => {
    const before = structuredClone(pod);
    project(pod, { spec: { containers: { name: true } } });
    assert.deepEqual(pod, before);
  });
});

describe('unionOf and covers', () => {
  const job: FieldSet = { spec: { nodeName: true }, status: true };
  const sts: FieldSet = { spec: { volumes: { name: true, persistentVolumeClaim: true } }, status: { phase: true } };
  const hpa: FieldSet = { spec: { containers: { name: true, resources: true } }, status: true };
  const cases: { name: string; a: Projection; b: Projection; union: Projection }[] = [
    { name: 'whole absorbs anything', a: 'whole', b: job, union: 'whole' },
    { name: 'anything with whole', a: job, b: 'whole', union: 'whole' },
    { name: 'disjoint fields add up', a: { status: true }, b: { spec: { nodeName: true } }, union: { status: true, spec: { nodeName: true } } },
    {
      name: 'nested sets merge; true beats a set',
      a: job,
      b: sts,
      union: { spec: { nodeName: true, volumes: { name: true, persistentVolumeClaim: true } }, status: true },
    },
    {
      name: 'three controllers over pods',
      a: unionOf(job, sts),
      b: hpa,
      union: { spec: { nodeName: true, volumes: { name: true, persistentVolumeClaim: true }, containers: { name: true, resources: true } }, status: true },
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const union = unionOf(c.a, c.b);
      assert.deepEqual(union, c.union);
      assert.ok(covers(union, c.a) && covers(union, c.b), 'the union covers both');
    });
  }

  const coverCases: [Projection, Projection, boolean][] = [
    ['whole', job, true],
    [job, 'whole', false],
    [job, {}, true],
    [job, { status: { phase: true } }, true],
    [sts, { status: true }, false],
    [sts, { spec: { volumes: { name: true } } }, true],
    [sts, { spec: { volumes: true } }, false],
    [job, { spec: { hostname: true } }, false],
  ];
  for (const [a, b, want] of coverCases) void test(`covers(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${want}`, () => assert.equal(covers(a, b), want));
});
