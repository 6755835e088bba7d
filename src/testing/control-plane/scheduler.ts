// kube-scheduler: binds pods to the kwok nodes.
export function schedulerArgs(o: { kubeconfig: string; port: number }): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    `--authentication-kubeconfig=${o.kubeconfig}`,
    `--authorization-kubeconfig=${o.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${o.port}`,
    '--leader-elect=false',
    // Scheduling must not be what a benchmark measures (defaults: 50/100).
    '--kube-api-qps=500',
    '--kube-api-burst=1000',
  ];
}
