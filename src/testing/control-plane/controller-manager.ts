// kube-controller-manager: the built-in controllers, each with its own service account credentials.
import type { Pki } from './pki.ts';
import { servingArgs } from './serving.ts';

export function controllerManagerArgs(o: { kubeconfig: string; port: number; pki: Pki }): string[] {
  return [
    ...servingArgs(o.kubeconfig, o.port),
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${o.pki.serviceAccountKey}`,
    `--root-ca-file=${o.pki.caCert}`,
    `--cluster-signing-cert-file=${o.pki.caCert}`,
    `--cluster-signing-key-file=${o.pki.caKey}`,
    '--leader-elect=false',
    // Client-side limits well above the defaults (20/30): with per-controller credentials the
    // default alone stretches start-up by ~5 s. Benchmarks pass their own (later flags win).
    '--kube-api-qps=200',
    '--kube-api-burst=400',
  ];
}
