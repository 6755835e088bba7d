// kube-scheduler: binds pods to the kwok nodes.
import { servingArgs } from './serving.ts';

export function schedulerArgs(o: { kubeconfig: string; port: number }): string[] {
  return [
    ...servingArgs(o.kubeconfig, o.port),
    '--leader-elect=false',
    // Scheduling must not be what a benchmark measures (defaults: 50/100).
    '--kube-api-qps=500',
    '--kube-api-burst=1000',
  ];
}
