/**
 * tentacle/testing: a real control plane for tests (etcd, kube-apiserver, and optionally
 * kube-controller-manager, kube-scheduler, kwok nodes and metrics-server, from the pinned binaries),
 * test environments on it, and a Jest preset (`preset: 'tentacle/testing'`). What is exported here
 * follows semver; everything else under src/testing is internal.
 * @module tentacle/testing
 */
export { TestEnvironment, TEST_NAMESPACE_LABEL, readManifests, type CustomResourceDefinition, type TestEnvironmentOptions } from './environment.ts';
export type { JestOptions } from './jest/global-setup.ts';
export { attachControlPlane, startControlPlane, type ControlPlaneOptions } from './control-plane/start.ts';
export type { ControlPlane } from './control-plane/local.ts';
export { COMPONENTS, componentStatus, readState, type ComponentName, type ControlPlaneState, type Ports } from './control-plane/state.ts';
export type { ProcessRecord } from './control-plane/process.ts';
export { binaryCandidates, findBinary } from './control-plane/binaries.ts';
export { NODE_ANNOTATION, USAGE_CPU_ANNOTATION, USAGE_MEMORY_ANNOTATION } from './control-plane/kwok.ts';
export { METRIC_RESOLUTION_SECONDS, METRICS_APISERVICE } from './control-plane/metrics-server.ts';
export { apiServiceAvailable, registerAggregatedApi, type AdminApi } from './control-plane/aggregation.ts';
export { waitFor, type WaitOptions } from './wait.ts';
