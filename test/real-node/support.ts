// Helpers of the real-node tests: the classic manifests from examples/, pods and their logs, and the
// real node's facts. The control plane, the real node and the chart's operator are started by
// hack/test-real-node.sh ($TENTACLE_KUBECONFIG, $TENTACLE_REAL_NODE_DIR).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { readNodeState } from '../../hack/cluster/real-node.ts';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { REPO } from '../e2e/support.ts';

/** The namespace and release the chart was installed as. */
export const OPERATOR_NAMESPACE = 'tentacle-system';
export const RELEASE = 'tentacle';

/** The real node's name and InternalIP. */
export function realNode(): { name: string; ip: string } {
  const dir = process.env.TENTACLE_REAL_NODE_DIR;
  const state = dir ? readNodeState(dir) : undefined;
  if (!state) throw new Error('no real node: run hack/test-real-node.sh (or make test-real-node)');
  return { name: state.name, ip: state.ip };
}

/** Every object of an examples/ file, optionally changed by `edit`. */
export function example(path: string, edit?: (obj: any) => void): any[] {
  const objects = yaml.loadAll(readFileSync(join(REPO, 'examples', path), 'utf8')).filter(Boolean) as any[];
  if (edit) objects.forEach(edit);
  return objects;
}

/** A Tentacle Job of one busybox container running `script` with `sh -c`, never restarted. */
export function busyboxJob(name: string, script: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: {
        spec: { restartPolicy: 'Never', ...podSpec, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script] }] },
      },
    },
  };
}

export async function apply(objects: unknown[], namespace: string): Promise<void> {
  await kubectl(['apply', '-n', namespace, '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
}

export async function pods(namespace: string, selector: string): Promise<any[]> {
  return (await kubectlJson(['get', 'pods', '-n', namespace, '-l', selector])).items;
}

export async function logs(namespace: string, pod: string, ...args: string[]): Promise<string> {
  return kubectl(['logs', '-n', namespace, pod, ...args]);
}

export function isReady(pod: any): boolean {
  return pod?.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

export function condition(obj: any, type: string): any {
  return (obj?.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** Waits until the object's condition `type` is True; returns the object. */
export async function waitForCondition(resource: string, namespace: string, name: string, type: string, timeoutMs: number): Promise<any> {
  return waitFor(
    async () => {
      const obj = await kubectlJson(['get', resource, '-n', namespace, name]);
      return condition(obj, type)?.status === 'True' ? obj : undefined;
    },
    { timeoutMs, intervalMs: 1000, what: `${resource} ${namespace}/${name} ${type}` },
  );
}

/** Events of the namespace about `name`, oldest first. */
export async function events(namespace: string, name?: string): Promise<any[]> {
  const items = (await kubectlJson(['get', 'events', '-n', namespace])).items as any[];
  return items
    .filter((e) => name === undefined || e.involvedObject?.name === name)
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)));
}

/** The NFS server beside the real node (hack/cluster/nfs-server.ts): SERVER:PATH split, and its disk. */
export function nfsServer(): { server: string; path: string; exportDir: string } {
  const dir = process.env.TENTACLE_REAL_NODE_DIR;
  const nfs = dir ? readNodeState(dir)?.nfs : undefined;
  if (!dir || !nfs) throw new Error('no NFS server beside the real node: run hack/test-real-node.sh (or make test-real-node)');
  const [server, path] = nfs.server.split(':') as [string, string];
  return { server, path, exportDir: nfs.exportDir };
}
