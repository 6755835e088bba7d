// kube-apiserver: RBAC, service accounts, and the aggregation layer for local API servers.
import { httpCall, type TlsMaterial } from './http.ts';
import { SERVICE_CLUSTER_IP_RANGE, type Pki } from './pki.ts';

export function apiserverArgs(o: { port: number; etcdUrl: string; pki: Pki }): string[] {
  const { pki } = o;
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${o.port}`,
    `--etcd-servers=${o.etcdUrl}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--allow-privileged=true',
    // Aggregation layer.
    `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
    `--proxy-client-key-file=${pki.frontProxyClientKey}`,
    // Aggregated API servers (metrics-server, test adapters) run as local processes on 127.0.0.1.
    // Without kube-proxy a ClusterIP leads nowhere, and routing to endpoints
    // (--enable-aggregator-routing=true) cannot work either: EndpointSlices and Endpoints may not
    // hold loopback addresses. So their Services are ExternalName 127.0.0.1 and the APIService names
    // the port (as kwokctl does), which the aggregator resolves only with routing off.
    '--enable-aggregator-routing=false',
    // The only address is loopback, which Endpoints may not contain.
    '--endpoint-reconciler-type=none',
    // "Kubelets" are kwok's server, whose certificate this CA signed.
    `--kubelet-certificate-authority=${pki.caCert}`,
  ];
}

/** /readyz answers 200; otherwise throws with the failing checks (shown while waiting). */
export async function apiserverReady(server: string, tls: TlsMaterial): Promise<boolean> {
  const res = await httpCall(`${server}/readyz`, { tls, timeoutMs: 3000 });
  if (res.status !== 200) throw new Error(`/readyz ${res.status}: ${res.body.trim().split('\n').slice(-3).join(' ')}`);
  return true;
}
