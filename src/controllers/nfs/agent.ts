// The per-provisioner agent Deployment (cluster mode): the operator image running only the nfs-agent
// controller for one NFSProvisioner, with server:path mounted at /export, one leader-elected replica
// (Recreate, so two agents never overlap on an upgrade), the chart's restricted security context.
import { createHash } from 'node:crypto';
import type { Deployment } from '../../api/core/types.ts';
import { NFS_PROVISIONER, type NFSProvisioner } from '../../api/storage/types.ts';
import { controllerRef } from '../../runtime/util/owners.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export const AGENT_EXPORT_ROOT = '/export';
export const ANN_AGENT_SPEC_HASH = 'storage.tentacle.dev/agent-spec-hash';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_AGENT = 'storage.tentacle.dev/nfs-agent';
const MAX_NAME = 52; // leaves room for the ReplicaSet and pod suffixes within 63

export interface AgentSettings {
  image: string;
  namespace: string;
  serviceAccountName?: string | undefined;
  /** Secrets to pull the image with (the chart's imagePullSecrets, as the operator's own pods). */
  imagePullSecrets?: readonly string[] | undefined;
  /** Node.js flags (the operator's own, from the chart): `node FLAGS --enable-source-maps dist/main.js`. */
  nodeFlags?: readonly string[] | undefined;
}

/** `tentacle-nfs-<name>`, shortened with a hash when too long for a pod name. */
export function agentName(provisioner: string): string {
  const full = `tentacle-nfs-${provisioner}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(provisioner).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_NAME - 9).replace(/[-.]+$/, '')}-${hash}`;
}

/** The Lease the agents of one provisioner elect their leader with. */
export function agentLeaseName(provisioner: string): string {
  return `tentacle-nfs-${provisioner}`;
}

export function desiredAgentDeployment(p: ReadonlyDeep<NFSProvisioner>, settings: AgentSettings): Deployment {
  const provisioner = p.metadata.name!;
  const name = agentName(provisioner);
  const labels = { 'app.kubernetes.io/name': 'tentacle', [LABEL_COMPONENT]: 'nfs-agent', [LABEL_AGENT]: name };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: settings.namespace, labels, ownerReferences: [controllerRef(p, NFS_PROVISIONER)] },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { [LABEL_COMPONENT]: 'nfs-agent', [LABEL_AGENT]: name } },
      template: {
        metadata: { labels },
        spec: {
          ...(settings.serviceAccountName ? { serviceAccountName: settings.serviceAccountName } : {}),
          ...(settings.imagePullSecrets?.length ? { imagePullSecrets: settings.imagePullSecrets.map((name) => ({ name })) } : {}),
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'agent',
              image: settings.image,
              ...(settings.nodeFlags?.length ? { command: ['node', ...settings.nodeFlags, '--enable-source-maps', 'dist/main.js'] } : {}),
              args: [
                '--controllers=nfs-agent',
                `--nfs-provisioner=${provisioner}`,
                `--nfs-export-root=${AGENT_EXPORT_ROOT}`,
                '--leader-elect',
                `--leader-election-namespace=${settings.namespace}`,
                `--leader-election-id=${agentLeaseName(provisioner)}`,
                '--metrics-bind-address=:8080',
                '--health-probe-bind-address=:8081',
              ],
              env: [
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                // File system calls wait while the NFS server is away, each holding a libuv thread:
                // enough threads that the rest of the agent (the export probe's timer aside) is not starved.
                { name: 'UV_THREADPOOL_SIZE', value: '16' },
              ],
              ports: [
                { name: 'metrics', containerPort: 8080 },
                { name: 'health', containerPort: 8081 },
              ],
              livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, periodSeconds: 20 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 10 },
              resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'export', mountPath: AGENT_EXPORT_ROOT },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'export', nfs: { server: p.spec.server, path: p.spec.path } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
  deployment.metadata.annotations = { [ANN_AGENT_SPEC_HASH]: specHash(deployment) };
  return deployment;
}

function specHash(d: ReadonlyDeep<Deployment>): string {
  return createHash('sha256').update(JSON.stringify([d.metadata.labels, d.spec])).digest('hex').slice(0, 16);
}

/** Whether the live Deployment was made from a different desired spec (ours are compared by hash). */
export function agentNeedsUpdate(live: ReadonlyDeep<Deployment>, desired: ReadonlyDeep<Deployment>): boolean {
  return live.metadata.annotations?.[ANN_AGENT_SPEC_HASH] !== desired.metadata.annotations?.[ANN_AGENT_SPEC_HASH];
}
