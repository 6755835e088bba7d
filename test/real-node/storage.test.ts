// NFSProvisioner on a real node: the operator (the chart's pods) creates the provisioner's StorageClass and
// agent Deployment, and the agent pod is admitted and scheduled to the real node. It cannot start: the
// kernel of these machines has no NFS client, so the kubelet reports the failed NFS mount (docs/install.md).
// The server is 127.0.0.1 so that nothing is ever sent to another host.
import { afterAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { example, OPERATOR_NAMESPACE, realNode } from './support.ts';

const NAME = `rn-nfs-${process.pid}`;

describe('an NFSProvisioner on a real node', () => {
  afterAll(async () => {
    await kubectl(['delete', 'tnfs', NAME, '--ignore-not-found', '--wait=false']);
  });

  test('its agent Deployment is admitted and scheduled to the real node, where the NFS mount fails', async () => {
    const [provisioner] = example('storage/nfs-provisioner.yaml', (o) => {
      o.metadata.name = NAME;
      o.spec.server = '127.0.0.1';
      o.spec.storageClassName = NAME;
    });
    await kubectl(['apply', '-f', '-'], JSON.stringify(provisioner));
    const deployment = await waitFor(async () => {
      const p = await kubectlJson(['get', 'tnfs', NAME]);
      return p.status?.agentDeployment;
    }, { timeoutMs: 60_000, what: 'the agent Deployment in the status' });
    const sc = await kubectlJson(['get', 'storageclass', NAME]);
    assert.equal(sc.provisioner, 'tentacle.dev/nfs');
    const pod = await waitFor(async () => {
      const list = (await kubectlJson(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-l', `storage.tentacle.dev/nfs-agent=${deployment}`])).items as any[];
      return list.find((p) => p.spec.nodeName);
    }, { timeoutMs: 120_000, what: 'the agent pod scheduled' });
    assert.equal(pod.spec.nodeName, realNode().name);
    const volume = pod.spec.volumes.find((v: any) => v.nfs);
    assert.deepEqual(volume.nfs, { server: '127.0.0.1', path: '/exports/k8s' });
    // The kubelet tried the mount for real and said why it failed.
    const failed = await waitFor(async () => {
      const events = (await kubectlJson(['get', 'events', '-n', OPERATOR_NAMESPACE, '--field-selector', `involvedObject.name=${pod.metadata.name},reason=FailedMount`])).items as any[];
      return events[0];
    }, { timeoutMs: 180_000, intervalMs: 1000, what: 'a FailedMount event' });
    assert.match(failed.message, /nfs/i);
    const status = await kubectlJson(['get', 'tnfs', NAME]);
    const agentReady = status.status.conditions.find((c: any) => c.type === 'AgentReady');
    assert.equal(agentReady.status, 'False');
  });
});
