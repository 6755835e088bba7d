// kwok: simulated nodes and pods (the pod simulation contract in kwok-stages.yaml) and their kubelet
// resource metrics (kwok-metrics.yaml), serving as the "kubelet" of every node it manages.
import { fileURLToPath } from 'node:url';
import type { Pki } from './pki.ts';

const STAGES_FILE = fileURLToPath(new URL('./kwok-stages.yaml', import.meta.url));
const METRICS_FILE = fileURLToPath(new URL('./kwok-metrics.yaml', import.meta.url));
/** kwok manages the nodes with this annotation (value "fake") and nothing else. */
export const NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/** Pod annotations (per container quantities) from which kwok reports CPU and memory usage (kwok-metrics.yaml). */
export const USAGE_CPU_ANNOTATION = 'kwok.x-k8s.io/usage-cpu';
export const USAGE_MEMORY_ANNOTATION = 'kwok.x-k8s.io/usage-memory';
const POD_CIDR = '10.244.0.0/16';

export function kwokArgs(o: { kubeconfig: string; port: number; pki: Pki; metrics: boolean }): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    `--config=${STAGES_FILE}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${NODE_ANNOTATION}=fake`,
    // kwok renews a Lease per node, so the node lifecycle controller never sees them go stale.
    '--node-lease-duration-seconds=40',
    `--cidr=${POD_CIDR}`,
    '--node-ip=127.0.0.1',
    `--node-port=${o.port}`,
    `--server-address=127.0.0.1:${o.port}`,
    `--tls-cert-file=${o.pki.kwokServingCert}`,
    `--tls-private-key-file=${o.pki.kwokServingKey}`,
    ...(o.metrics ? [`--config=${METRICS_FILE}`] : []),
  ];
}

export function kwokNodeName(index: number): string {
  return `kwok-node-${index}`;
}

/** A node for kwok to manage, created with its status as a kubelet registers. */
export function kwokNode(name: string): unknown {
  const resources = { cpu: '64', memory: '256Gi', pods: '1000' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: {
        [NODE_ANNOTATION]: 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        // Where metrics-server scrapes this node's resource metrics: kwok's Metric (kwok-metrics.yaml).
        'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${name}/metrics/resource`,
      },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
    // InternalIP 127.0.0.1 and kwok's port as the kubelet port let the API server and metrics-server
    // reach kwok's kubelet endpoints.
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
    },
  };
}

/**
 * Ready, and (with a controller manager, whose node lifecycle controller removes them) without the
 * node.kubernetes.io/* taints a new node starts with.
 */
export function nodeReady(node: any, requireUntainted: boolean): boolean {
  const ready = (node?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
  const taints = (node?.spec?.taints ?? []) as { key: string }[];
  return ready && (!requireUntainted || !taints.some((t) => t.key.startsWith('node.kubernetes.io/')));
}
