// The shared local control plane ($TENTACLE_KUBECONFIG): kwok nodes, the pod simulation contract of
// docs/design.md (hack/cluster/stages.yaml), finalizers on deleted pods, and ServiceAccount tokens
// with RBAC.
import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import { create, getObject, kubectl, kubeRequest } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';

const ns = useNamespace('cp');

interface PodOpts {
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  annotations?: Record<string, string>;
  finalizers?: string[];
  containers?: string[];
}

async function createPod(name: string, opts: PodOpts = {}): Promise<void> {
  await create(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, annotations: opts.annotations ?? {}, finalizers: opts.finalizers },
      spec: {
        restartPolicy: opts.restartPolicy ?? 'Always',
        containers: (opts.containers ?? ['main']).map((c, i) => ({ name: c, image: `registry.example/${c}:${i}` })),
      },
    },
    ns.name,
  );
}

const podPath = (name: string) => `/api/v1/namespaces/${ns.name}/pods/${name}`;
const getPod = (name: string) => getObject<any>(podPath(name));
const condition = (pod: any, type: string) => (pod?.status?.conditions ?? []).find((c: any) => c.type === type);

/** Waits until the pod satisfies `pred` and returns it. */
function waitPod(name: string, what: string, pred: (pod: any) => boolean, timeoutMs = 30_000): Promise<any> {
  return waitFor(
    async () => {
      const pod = await getPod(name);
      return pod && pred(pod) ? pod : undefined;
    },
    { what: `pod ${name}: ${what}`, timeoutMs },
  );
}

const phase = (p: string) => (pod: any) => pod.status?.phase === p;
const isReady = (pod: any) => condition(pod, 'Ready')?.status === 'True';

/**
 * Proof that kwok has got past the pods' present state, before asserting that it did nothing to one:
 * a witness pod, created now, that kwok brings through the stages `opts` select until `until` holds.
 * kwok sees the witness's events after those of every pod changed before, and the witness's stages
 * fire later than the same stages, or shorter ones, would have fired for a pod in the state it had
 * before. The default witness goes through pod-start and pod-ready (0.5 s), the longest fixed delay
 * of stages.yaml; a duration-based stage needs a witness with that duration.
 */
async function kwokPast(witness: string, opts: PodOpts = {}, until: [string, (pod: any) => boolean] = ['Ready', isReady]): Promise<void> {
  await createPod(witness, opts);
  await waitPod(witness, `${until[0]} (witness)`, until[1]);
}

const seconds = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;

test('three kwok nodes are Ready, untainted, with large capacity', async () => {
  const nodes = (await kubeRequest('GET', '/api/v1/nodes?labelSelector=type%3Dkwok')).body.items as any[];
  assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['kwok-node-0', 'kwok-node-1', 'kwok-node-2']);
  for (const node of nodes) {
    assert.equal(condition(node, 'Ready')?.status, 'True', `${node.metadata.name} Ready`);
    assert.equal(node.metadata.annotations['kwok.x-k8s.io/node'], 'fake');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], node.metadata.name);
    assert.equal(node.metadata.labels['kubernetes.io/os'], 'linux');
    assert.deepEqual(node.spec.taints ?? [], []);
    assert.ok(['1000', '1k'].includes(node.status.allocatable.pods), `pods ${node.status.allocatable.pods}`); // canonical form of 1000 is 1k
    assert.equal(node.status.allocatable.cpu, '64');
    assert.equal(node.status.capacity.memory, '256Gi');
  }
  // kwok keeps a Lease per node for the node lifecycle controller.
  const leases = (await kubeRequest('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).body
    .items as any[];
  for (const n of nodes) {
    const lease = leases.find((l) => l.metadata.name === n.metadata.name);
    assert.ok(lease, `lease for ${n.metadata.name}`);
    assert.ok(Date.now() - Date.parse(lease.spec.renewTime) < 60_000, 'lease renewed recently');
  }
});

describe('pod simulation', () => {
  test.concurrent('default: scheduled, Running, then Ready about 0.5 s later', async () => {
    await createPod('default', { containers: ['app', 'sidecar'] });
    const running = await waitPod('default', 'Running', phase('Running'));
    assert.ok(running.spec.nodeName.startsWith('kwok-node-'), 'scheduled onto a kwok node');
    assert.ok(running.status.podIP, 'podIP');
    assert.equal(running.status.hostIP, '127.0.0.1');
    assert.ok(running.status.startTime, 'startTime');
    const ready = await waitPod('default', 'Ready', (p) => condition(p, 'Ready')?.status === 'True', 10_000);
    assert.equal(condition(ready, 'ContainersReady')?.status, 'True');
    assert.equal(condition(ready, 'PodScheduled')?.status, 'True', 'scheduler condition kept');
    assert.equal(condition(ready, 'Initialized')?.status, 'True');
    assert.deepEqual(
      ready.status.containerStatuses.map((c: any) => [c.name, c.image, c.ready, c.restartCount, !!c.state.running]),
      [
        ['app', 'registry.example/app:0', true, 0, true],
        ['sidecar', 'registry.example/sidecar:1', true, 0, true],
      ],
    );
  });

  test.concurrent('restartPolicy Never, exit code 0: Succeeded after the duration', async () => {
    await createPod('never-ok', { restartPolicy: 'Never', annotations: { 'sim.tentacle.dev/duration': '3s' } });
    await waitPod('never-ok', 'Running', phase('Running'));
    const runningSeen = Date.now();
    const done = await waitPod('never-ok', 'Succeeded', (p) => p.status?.phase !== 'Running' && p.status?.phase !== 'Pending');
    const waited = (Date.now() - runningSeen) / 1000;
    assert.equal(done.status.phase, 'Succeeded');
    assert.ok(waited > 1.5 && waited < 8, `finished ${waited}s after Running was seen (duration 3s)`);
    const term = done.status.containerStatuses[0].state.terminated;
    assert.equal(term.exitCode, 0);
    assert.equal(term.reason, 'Completed');
    const ran = seconds(term.startedAt, term.finishedAt);
    assert.ok(ran >= 2 && ran <= 5, `container ran ${ran}s (duration 3s)`);
    assert.equal(condition(done, 'Ready')?.status, 'False');
    // Terminal stays terminal.
    await kwokPast('never-ok-witness');
    assert.equal((await getPod('never-ok')).status.phase, 'Succeeded');
  });

  test.concurrent('restartPolicy Never, exit code 1: Failed with exitCode 1', async () => {
    await createPod('never-fail', {
      restartPolicy: 'Never',
      annotations: { 'sim.tentacle.dev/exit-code': '1', 'sim.tentacle.dev/duration': '500ms' },
    });
    const done = await waitPod('never-fail', 'terminal', (p) => ['Succeeded', 'Failed'].includes(p.status?.phase));
    assert.equal(done.status.phase, 'Failed');
    const term = done.status.containerStatuses[0].state.terminated;
    assert.equal(term.exitCode, 1);
    assert.equal(term.reason, 'Error');
    assert.equal(done.status.containerStatuses[0].restartCount, 0);
  });

  test.concurrent('restartPolicy OnFailure, exit code 1: the container restarts, restartCount grows', async () => {
    await createPod('onfailure', {
      restartPolicy: 'OnFailure',
      annotations: { 'sim.tentacle.dev/exit-code': '1', 'sim.tentacle.dev/duration': '1s' },
    });
    const pod = await waitPod(
      'onfailure',
      'restartCount >= 2',
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
      30_000,
    );
    assert.equal(pod.status.phase, 'Running', 'OnFailure pods keep running');
    const cs = pod.status.containerStatuses[0];
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.ok(cs.state.running, 'running again after the restart');
  });

  test.concurrent('restartPolicy OnFailure, exit code 0: Succeeded', async () => {
    await createPod('onfailure-ok', { restartPolicy: 'OnFailure', annotations: { 'sim.tentacle.dev/duration': '1s' } });
    const done = await waitPod('onfailure-ok', 'terminal', (p) => ['Succeeded', 'Failed'].includes(p.status?.phase));
    assert.equal(done.status.phase, 'Succeeded');
    assert.equal(done.status.containerStatuses[0].restartCount, 0);
  });

  test.concurrent('ready "false": Running but never Ready', async () => {
    await createPod('not-ready', { annotations: { 'sim.tentacle.dev/ready': 'false' } });
    await waitPod('not-ready', 'Running', phase('Running'));
    // A pod without the annotation, Running later, gets Ready: pod-ready has had its chance at this one.
    await kwokPast('not-ready-witness');
    const pod = await getPod('not-ready');
    assert.equal(pod.status.phase, 'Running');
    assert.equal(condition(pod, 'Ready')?.status, 'False');
    assert.equal(condition(pod, 'ContainersReady')?.status, 'False');
    assert.ok(pod.status.containerStatuses[0].state.running, 'container running');
    assert.equal(pod.status.containerStatuses[0].ready, false);
  });

  test.concurrent('restartPolicy Always: still Running after a few seconds, gone after delete', async () => {
    await createPod('always', { annotations: { 'sim.tentacle.dev/duration': '1s' } });
    await waitPod('always', 'Ready', isReady);
    // A Never pod with the same duration, started later, finishes: a stage that ended this one after
    // its duration would have fired by then.
    await kwokPast('always-witness', { restartPolicy: 'Never', annotations: { 'sim.tentacle.dev/duration': '1s' } }, ['Succeeded', phase('Succeeded')]);
    const pod = await getPod('always');
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
    await kubectl(['delete', 'pod', 'always', '-n', ns.name, '--wait=false']);
    await waitFor(async () => (await getPod('always')) === undefined, { what: 'pod always deleted', timeoutMs: 15_000 });
  });

  test.concurrent('a deleted pod with a finalizer stays, terminal, until the finalizer is removed', async () => {
    const finalizer = 'tentacle.dev/test-hold';
    await createPod('held', { finalizers: [finalizer] });
    await waitPod('held', 'Running', phase('Running'));
    await kubectl(['delete', 'pod', 'held', '-n', ns.name, '--wait=false']);
    const terminating = await waitPod(
      'held',
      'terminal with deletionTimestamp',
      (p) => p.metadata.deletionTimestamp && p.status?.phase === 'Failed',
      15_000,
    );
    assert.deepEqual(terminating.metadata.finalizers, [finalizer]);
    assert.ok(terminating.status.containerStatuses[0].state.terminated, 'container terminated');
    // It stays, finalizer intact, once kwok has done its part (pod-remove: grace period 0) and moved on.
    await waitPod('held', 'grace period 0', (p) => p.metadata.deletionGracePeriodSeconds === 0, 15_000);
    await kwokPast('held-witness');
    const held = await getPod('held');
    assert.ok(held, 'still there');
    assert.deepEqual(held.metadata.finalizers, [finalizer]);
    assert.equal(held.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(held.status.phase, 'Failed');
    await kubectl(['patch', 'pod', 'held', '-n', ns.name, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await waitFor(async () => (await getPod('held')) === undefined, { what: 'pod held gone', timeoutMs: 15_000 });
  });

  test.concurrent('a finished pod with a finalizer keeps its phase when deleted', async () => {
    const finalizer = 'tentacle.dev/test-hold';
    await createPod('held-done', { restartPolicy: 'Never', finalizers: [finalizer], annotations: { 'sim.tentacle.dev/duration': '200ms' } });
    await waitPod('held-done', 'Succeeded', phase('Succeeded'));
    await kubectl(['delete', 'pod', 'held-done', '-n', ns.name, '--wait=false']);
    // kwok has done its part (pod-remove: grace period 0) and moved on.
    await waitPod('held-done', 'grace period 0', (p) => p.metadata.deletionGracePeriodSeconds === 0, 15_000);
    await kwokPast('held-done-witness');
    const pod = await getPod('held-done');
    assert.ok(pod.metadata.deletionTimestamp);
    assert.equal(pod.status.phase, 'Succeeded');
    await kubectl(['patch', 'pod', 'held-done', '-n', ns.name, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await waitFor(async () => (await getPod('held-done')) === undefined, { what: 'pod held-done gone', timeoutMs: 15_000 });
  });
});

test('a ServiceAccount token authenticates, is forbidden, then allowed by a RoleBinding', async () => {
  await kubectl(['create', 'serviceaccount', 'robot', '-n', ns.name]);
  const token = (await kubectl(['create', 'token', 'robot', '-n', ns.name, '--duration=10m'])).trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');

  const review = await kubeRequest('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    token,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  assert.equal(review.status, 201, review.text);
  assert.equal(review.body.status.userInfo.username, `system:serviceaccount:${ns.name}:robot`);

  const bogus = await kubeRequest('GET', `/api/v1/namespaces/${ns.name}/pods`, { token: token.slice(0, -4) + 'AAAA' });
  assert.equal(bogus.status, 401, 'a tampered token is rejected');

  const forbidden = await kubeRequest('GET', `/api/v1/namespaces/${ns.name}/pods`, { token });
  assert.equal(forbidden.status, 403, forbidden.text);

  await kubectl(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', ns.name]);
  await kubectl(['create', 'rolebinding', 'robot-pods', '--role=pod-reader', `--serviceaccount=${ns.name}:robot`, '-n', ns.name]);
  const allowed = await waitFor(
    async () => {
      const res = await kubeRequest('GET', `/api/v1/namespaces/${ns.name}/pods`, { token });
      return res.status === 200 ? res : undefined;
    },
    { what: 'pods list allowed', timeoutMs: 15_000 },
  );
  assert.equal(allowed.body.kind, 'PodList');
  // Still only what the Role grants.
  const other = await kubeRequest('GET', `/api/v1/namespaces/${ns.name}/secrets`, { token });
  assert.equal(other.status, 403);
});
