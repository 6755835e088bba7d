// Which pods a vanished Job must release (upstream's orphan-pod path), and how an orphaned pod finds its Job.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { FINALIZER_JOB_TRACKING, type Pod } from '../../../src/api/batch/types.ts';
import { orphanedPodToJob, orphansOfMissingJob } from '../../../src/controllers/job/orphans.ts';

const owner = (kind: string, apiVersion: string, name: string, controller = true) => ({ apiVersion, kind, name, uid: `uid-${name}`, controller });
const pod = (name: string, opts: { finalizer?: boolean; owners?: ReturnType<typeof owner>[]; jobLabel?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'ns',
    finalizers: opts.finalizer === false ? ['example.com/other'] : [FINALIZER_JOB_TRACKING],
    ownerReferences: opts.owners ?? [],
    labels: opts.jobLabel ? { 'batch.tentacle.dev/job-name': opts.jobLabel } : {},
  },
  spec: { containers: [] },
});

const ours = (name: string) => owner('Job', 'batch.tentacle.dev/v1alpha1', name);

describe('orphansOfMissingJob', () => {
  const cases: [string, Pod[], string[]][] = [
    ['pods the Job controlled, holding the finalizer', [pod('a', { owners: [ours('pi')] }), pod('b', { owners: [ours('pi')] })], ['a', 'b']],
    ['a pod without the finalizer is left alone', [pod('a', { owners: [ours('pi')], finalizer: false })], []],
    ['pods of another Job are left alone', [pod('a', { owners: [ours('other')] })], []],
    ['a batch/v1 Job of the same name is not ours', [pod('a', { owners: [owner('Job', 'batch/v1', 'pi')] })], []],
    ['a pod controlled by something else keeps its finalizer', [pod('a', { owners: [owner('ReplicaSet', 'apps/v1', 'pi')], jobLabel: 'pi' })], []],
    ['an orphan (no controller) with the job-name label is released', [pod('a', { jobLabel: 'pi' })], ['a']],
    ['a non-controller owner does not count as the controller', [pod('a', { owners: [owner('Job', 'batch.tentacle.dev/v1alpha1', 'pi', false)], jobLabel: 'pi' })], ['a']],
    ['an orphan labelled for another Job is left alone', [pod('a', { jobLabel: 'other' })], []],
  ];
  for (const [name, pods, want] of cases) {
    test(name, () => assert.deepEqual(orphansOfMissingJob('pi', pods).map((p) => p.metadata.name), want));
  }
});

describe('orphanedPodToJob', () => {
  const cases: [string, Pod, string[]][] = [
    ['an orphan with the finalizer maps to its labelled Job', pod('a', { jobLabel: 'pi' }), ['ns/pi']],
    ['a controlled pod maps through its owner instead', pod('a', { owners: [ours('pi')], jobLabel: 'pi' }), []],
    ['an orphan without the finalizer needs nothing', pod('a', { jobLabel: 'pi', finalizer: false }), []],
    ['an orphan without the label cannot be mapped', pod('a'), []],
  ];
  for (const [name, p, want] of cases) {
    test(name, () => assert.deepEqual(orphanedPodToJob(p).map((r) => `${r.namespace}/${r.name}`), want));
  }
});
