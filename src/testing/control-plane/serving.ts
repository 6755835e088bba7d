// The flags the components that serve HTTPS on loopback share: their client kubeconfig, also used to
// ask the API server who a caller is and what it may do (delegated authentication and authorization).
export function servingArgs(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
  ];
}
