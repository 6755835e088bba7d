import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { generationChanged, passes } from '../../../src/runtime/controller/predicate.ts';
import { sameGenerationUpdate } from '../../../src/controllers/job/index.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';

// Which watch of the Job controller a Job event goes through: the immediate one (for), or the one
// batched by POD_EVENT_BATCH_MS (upstream's updateJob: a sync at once only when the spec changed).
const job = (generation: number, resourceVersion: string): KubeObject => ({ metadata: { name: 'j', namespace: 'ns', generation, resourceVersion } });

const cases: { name: string; event: 'create' | 'update' | 'delete'; objs: [KubeObject] | [KubeObject, KubeObject]; immediate: boolean; batched: boolean }[] = [
  { name: 'created', event: 'create', objs: [job(1, '1')], immediate: true, batched: false },
  { name: 'spec changed (new generation)', event: 'update', objs: [job(1, '1'), job(2, '2')], immediate: true, batched: false },
  { name: 'status written (same generation)', event: 'update', objs: [job(2, '2'), job(2, '3')], immediate: false, batched: true },
  { name: 'deleted', event: 'delete', objs: [job(2, '3')], immediate: true, batched: false },
];
for (const c of cases) {
  void test(c.name, () => {
    const [a, b] = c.objs;
    assert.equal(passes([generationChanged], c.event, a, b), c.immediate, 'immediate watch');
    assert.equal(passes([sameGenerationUpdate], c.event, a, b), c.batched, 'batched watch');
  });
}
