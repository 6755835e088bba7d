// metrics-server: metrics.k8s.io through the aggregation layer, scraping kwok's simulated kubelets.
import type { Pki } from './pki.ts';
import { servingArgs } from './serving.ts';

/** The APIService metrics-server serves, and its Service (kube-system). */
export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io';
export const METRICS_SERVICE = 'metrics-server';
/**
 * metrics-server's minimum; it scrapes every kubelet (kwok) once per resolution and reports the CPU
 * rate between its last two scrapes.
 */
export const METRIC_RESOLUTION_SECONDS = 10;

export function metricsServerArgs(o: { kubeconfig: string; port: number; pki: Pki }): string[] {
  return [
    ...servingArgs(o.kubeconfig, o.port),
    `--tls-cert-file=${o.pki.metricsServerServingCert}`,
    `--tls-private-key-file=${o.pki.metricsServerServingKey}`,
    // "Kubelets" are kwok's server at the node's InternalIP and status port, with a certificate of this CA.
    `--kubelet-certificate-authority=${o.pki.caCert}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--kubelet-use-node-status-port',
    `--metric-resolution=${METRIC_RESOLUTION_SECONDS}s`,
    // Must stay below 90% of the resolution.
    '--kubelet-request-timeout=5s',
  ];
}
