// The real node itself, as kubectl users meet it: Ready, with logs, exec, port-forward and top going
// through the API server to the kubelet (with the API server's client certificate, no anonymous access),
// cluster DNS, and Service IPs through kube-proxy.
import { beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { KUBECTL, kubeconfigPath, kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { isReady, realNode } from './support.ts';

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('the real node', () => {
  const namespace = useNamespace('rn-node');
  let ns = '';
  beforeAll(async () => {
    ns = namespace.name;
    await kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        containers: [{
          name: 'web',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'mkdir -p /www && echo hello from $(hostname) > /www/index.html && echo started && exec httpd -f -p 8080 -h /www'],
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
        }],
      },
    }));
    await kubectl(['expose', 'pod', 'web', '-n', ns, '--port=80', '--target-port=8080']);
    await waitFor(async () => isReady(await kubectlJson(['get', 'pod', '-n', ns, 'web'])), { timeoutMs: 120_000, what: 'pod web Ready' });
  });

  test('is Ready under the machine name, with its InternalIP, beside no schedulable kwok node', async () => {
    const nodes = (await kubectlJson(['get', 'nodes'])).items as any[];
    const node = nodes.find((n) => n.metadata.name === realNode().name);
    assert.ok(node, 'the real node is registered');
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    assert.deepEqual(node.status.addresses.find((a: any) => a.type === 'InternalIP'), { type: 'InternalIP', address: realNode().ip });
    assert.equal(node.metadata.labels['tentacle.dev/real-node'], 'true');
    assert.equal(nodes.length, 1);
  });

  test('kubectl logs and exec reach the container through the kubelet', async () => {
    assert.equal((await kubectl(['logs', '-n', ns, 'web'])).trim(), 'started');
    assert.equal((await kubectl(['exec', '-n', ns, 'web', '--', 'cat', '/www/index.html'])).trim(), 'hello from web');
  });

  test('kubectl port-forward serves the pod on a local port', async () => {
    const child = spawn(KUBECTL, [`--kubeconfig=${kubeconfigPath()}`, 'port-forward', '-n', ns, 'pod/web', ':8080']);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`kubectl port-forward exited with ${code}: ${out}`)));
      });
      assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).trim(), 'hello from web');
    } finally {
      child.kill();
    }
  });

  test('kubectl top reads the kubelet through metrics-server', async () => {
    const pod = await waitFor(() => kubectl(['top', 'pod', 'web', '-n', ns, '--no-headers']), {
      timeoutMs: 120_000,
      intervalMs: 2000,
      what: 'kubectl top pod',
    });
    assert.match(pod, /^web\s+\d+m\s+\d+Mi/);
    const node = await kubectl(['top', 'node', '--no-headers']);
    assert.match(node, new RegExp(`^${realNode().name}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi`));
  });

  test('pods resolve cluster names and reach Services through their ClusterIPs', async () => {
    await kubectl(['run', 'probe', '-n', ns, '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
    await waitFor(async () => isReady(await kubectlJson(['get', 'pod', '-n', ns, 'probe'])), { timeoutMs: 120_000, what: 'pod probe' });
    const svc = await kubectlJson(['get', 'service', '-n', ns, 'web']);
    const lookup = await kubectl(['exec', '-n', ns, 'probe', '--', 'nslookup', `web.${ns}.svc.cluster.local`]);
    assert.ok(lookup.includes(svc.spec.clusterIP), lookup);
    assert.equal((await kubectl(['exec', '-n', ns, 'probe', '--', 'wget', '-q', '-O-', 'http://web'])).trim(), 'hello from web');
    const kubernetes = await kubectl(['exec', '-n', ns, 'probe', '--', 'nslookup', 'kubernetes.default.svc.cluster.local']);
    assert.match(kubernetes, /Address:\s+10\.96\.0\.1\b/);
    // (The operator's pods reach the API server through that Service: operator.test.ts.)
  });
});
