// Tests run on Jest with Tentacle's preset: TypeScript as ES modules, and one real control plane per run
// (etcd, kube-apiserver, kube-controller-manager for garbage collection) with crds/ installed.
export default {
  preset: 'tentacle/testing',
  testTimeout: 120_000,
  globals: { tentacle: { crds: ['crds'], kwok: false, scheduler: false, metricsServer: false } },
};
