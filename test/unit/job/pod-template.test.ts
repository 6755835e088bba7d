import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  ANNOTATION_COMPLETION_INDEX,
  FINALIZER_JOB_TRACKING,
  LABEL_COMPLETION_INDEX,
  LABEL_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
} from '../../../src/api/batch/types.ts';
import type { Job } from '../../../src/api/batch/types.ts';
import { COMPLETION_INDEX_ENV, generateNameWithIndex, newPod } from '../../../src/controllers/job/pod-template.ts';

function job(): Job {
  return {
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid' },
    spec: {
      template: {
        metadata: { labels: { app: 'pi' }, annotations: { note: 'x' } },
        spec: {
          restartPolicy: 'Never',
          subdomain: 'svc',
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'main', image: 'perl', env: [{ name: 'A', value: '1' }] },
            { name: 'side', image: 'busybox', env: [{ name: COMPLETION_INDEX_ENV, value: 'mine' }] },
          ],
        },
      },
    },
  };
}

describe('newPod', () => {
  test('NonIndexed', () => {
    const j = job();
    const pod = newPod(j, undefined);
    assert.equal(pod.metadata.generateName, 'pi-');
    assert.equal(pod.metadata.namespace, 'ns');
    assert.deepEqual(pod.metadata.labels, {
      app: 'pi',
      [LABEL_CONTROLLER_UID]: 'job-uid',
      [LABEL_JOB_NAME]: 'pi',
      [LEGACY_LABEL_CONTROLLER_UID]: 'job-uid',
      [LEGACY_LABEL_JOB_NAME]: 'pi',
    });
    assert.deepEqual(pod.metadata.annotations, { note: 'x' });
    assert.deepEqual(pod.metadata.finalizers, [FINALIZER_JOB_TRACKING]);
    assert.deepEqual(pod.metadata.ownerReferences, [
      { apiVersion: 'batch.tentacle.dev/v1alpha1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(pod.spec.hostname, undefined);
    assert.deepEqual(pod.spec, j.spec.template.spec);
    // Deep copy: changing the pod leaves the template alone.
    pod.spec.containers[0]!.env!.push({ name: 'B', value: '2' });
    assert.equal(j.spec.template.spec.containers[0]!.env!.length, 1);
  });

  test('Indexed', () => {
    const j = job();
    const pod = newPod(j, 3);
    assert.equal(pod.metadata.generateName, 'pi-3-');
    assert.equal(pod.metadata.annotations?.[ANNOTATION_COMPLETION_INDEX], '3');
    assert.equal(pod.metadata.annotations?.note, 'x');
    assert.equal(pod.metadata.labels?.[LABEL_COMPLETION_INDEX], '3');
    assert.equal(pod.spec.hostname, 'pi-3');
    assert.equal(pod.spec.subdomain, 'svc');
    const envOf = (name: string) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === name)?.env;
    const indexEnv = { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABEL_COMPLETION_INDEX}']` } } };
    assert.deepEqual(envOf('init'), [indexEnv]);
    assert.deepEqual(envOf('main'), [{ name: 'A', value: '1' }, indexEnv]);
    assert.deepEqual(envOf('side'), [{ name: COMPLETION_INDEX_ENV, value: 'mine' }]);
    assert.equal(j.spec.template.spec.containers[0]!.env!.length, 1);
    assert.equal(j.spec.template.metadata?.annotations?.[ANNOTATION_COMPLETION_INDEX], undefined);
  });

  test('template finalizers are kept and ours added once', () => {
    const j = job();
    j.spec.template.metadata!.finalizers = ['x/y', FINALIZER_JOB_TRACKING];
    assert.deepEqual(newPod(j, undefined).metadata.finalizers, ['x/y', FINALIZER_JOB_TRACKING]);
  });

  const nameCases: { job: string; index: number; want: string }[] = [
    { job: 'pi', index: 0, want: 'pi-0-' },
    { job: 'a'.repeat(60), index: 12, want: `${'a'.repeat(54)}-12-` },
    { job: 'a'.repeat(54), index: 1, want: `${'a'.repeat(54)}-1-` },
  ];
  for (const c of nameCases) test(`generateName ${c.job.length}/${c.index}`, () => {
    const got = generateNameWithIndex(c.job, c.index);
    assert.equal(got, c.want);
    assert.ok(got.length <= 58);
  });
});
