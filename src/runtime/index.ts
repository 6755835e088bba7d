// tentacle/runtime: the framework's public API. Everything else under src/runtime is internal and may
// change; what is exported here follows semver.
export { Manager, type ManagerOptions } from './manager/manager.ts';
export { Builder, type WatchOptions } from './controller/builder.ts';
export type { ControllerOptions } from './controller/controller.ts';
export { TerminalError, type Reconciler, type ReconcileContext, type Result } from './controller/reconciler.ts';
export { Expectations } from './controller/expectations.ts';
export { OwnWrites } from './controller/own-writes.ts';
export { slowStartBatches, type SlowStartOptions, type SlowStartOutcome } from './controller/slow-start.ts';
export { enqueueForObject, enqueueForOwner, type MapFunc } from './controller/handler.ts';
export { annotationsChanged, generationChanged, labelsChanged, or, resourceVersionChanged, type Predicate } from './controller/predicate.ts';
export { Client, type ClientOptions, type DeleteOptions, type ListOptions, type ObjectList, type PatchOptions, type PatchType, type Scale, type WatchEvent, type WriteOptions } from './client/client.ts';
export { ApiError, isAlreadyExists, isConflict, isForbidden, isGone, isInvalid, isNotFound, isTooManyRequests } from './client/errors.ts';
export { loadKubeconfig, type KubeconfigOptions } from './client/kubeconfig.ts';
export { Cache, type CacheOptions } from './cache/cache.ts';
export { Informer, type EventHandler, type InformerOptions } from './cache/informer.ts';
export type { FieldSet } from './cache/fields.ts';
export type { EventRecorder, EventType } from './events/recorder.ts';
export { RuntimeMetrics } from './metrics/metrics.ts';
export { newLogger, silentLogger, type LogFormat, type Logger } from './log.ts';
export { findCondition, isConditionFalse, isConditionTrue, removeCondition, setCondition } from './util/conditions.ts';
export { finalizerPatch, hasFinalizer, withFinalizer, withoutFinalizer } from './util/finalizers.ts';
export { controllerRef, getControllerOf, hasOwner, isControlledBy } from './util/owners.ts';
export { matchesSelector, selectorToString } from './util/selectors.ts';
export { apiVersionOf, defineKind, gvkOf, mutableCopy, objectKey, type Condition, type GroupVersionKind, type Kind, type KubeObject, type ReadonlyDeep, type ReadonlyObject, type Writable, type LabelSelector, type ObjectMeta, type OwnerReference, type Request } from './types.ts';
