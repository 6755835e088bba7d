/**
 * tentacle/runtime: the framework's public API. Everything else under src/runtime is internal and may
 * change; what is exported here follows semver.
 * @module tentacle/runtime
 */
export { Manager, type ManagerOptions } from './manager/manager.ts';
export { Builder, type WatchOptions } from './controller/builder.ts';
export type { Controller, ControllerOptions } from './controller/controller.ts';
export { TerminalError, type Reconciler, type ReconcileContext, type Result } from './controller/reconciler.ts';
export { Expectations, observeChildren } from './controller/expectations.ts';
export { OwnWrites } from './controller/own-writes.ts';
export { slowStartBatches, type SlowStartOptions, type SlowStartOutcome } from './controller/slow-start.ts';
export { enqueueForObject, enqueueForOwner, type MapFunc } from './controller/handler.ts';
export { annotationsChanged, generationChanged, labelsChanged, or, resourceVersionChanged, type Predicate } from './controller/predicate.ts';
export { Client, type ClientOptions, type DeleteOptions, type ListOptions, type ObjectList, type PatchOptions, type PatchType, type RequestOptions, type Scale, type WatchEvent, type WatchEventType, type WatchOptions as ClientWatchOptions, type WriteOptions } from './client/client.ts';
export { ApiError, isAlreadyExists, isConflict, isForbidden, isGone, isInvalid, isNotFound, isTooManyRequests, type StatusDetails } from './client/errors.ts';
export { loadKubeconfig, type Kubeconfig, type KubeconfigOptions } from './client/kubeconfig.ts';
export { updateStatusIfChanged } from './client/status.ts';
export { Cache, type CacheOptions } from './cache/cache.ts';
export { Informer, type EventHandler, type InformerOptions, type Transform } from './cache/informer.ts';
export { OWNER_UID_INDEX } from './cache/store.ts';
export type { FieldSet } from './cache/fields.ts';
export { quietOnAbort, type EventRecorder, type EventType, type PlannedEvent } from './events/recorder.ts';
export { RuntimeMetrics } from './metrics/metrics.ts';
export type { Check } from './manager/http.ts';
export type { RateLimiter } from './queue/rate-limiter.ts';
export type { Clock } from './util/clock.ts';
export { newLogger, silentLogger, type LogFormat, type Logger } from './log.ts';
export { findCondition, isConditionFalse, isConditionTrue, removeCondition, setCondition, type ConditionInput } from './util/conditions.ts';
export { semanticallyEqual } from './util/equality.ts';
export { finalizerPatch, hasFinalizer, withFinalizer, withoutFinalizer, type JsonPatchOperation } from './util/finalizers.ts';
export { controllerRef, getControllerOf, hasOwner, isControlledBy } from './util/owners.ts';
export { matchesSelector, selectorToString } from './util/selectors.ts';
export { apiVersionOf, defineKind, gvkOf, mutableCopy, objectKey, requestKey, type Condition, type GroupVersionKind, type Kind, type KubeObject, type ReadonlyDeep, type ReadonlyObject, type WithMetadata, type Writable, type LabelSelector, type LabelSelectorRequirement, type ObjectMeta, type OwnerReference, type Request } from './types.ts';
// Types reachable through the public API's fields and signatures, exported so that they are named and
// documented; their classes' constructors are internal.
export type { ControllerHost } from './controller/builder.ts';
export type { Method, RestClient, RestRequest } from './client/rest.ts';
export type { Connection, TransportOptions } from './client/connection.ts';
export type { Lane, Transport, TransportRequest, TransportResponse } from './client/transport.ts';
export type { ResourceInfo, RestMapper } from './client/rest-mapper.ts';
export type { IndexFunc, Store } from './cache/store.ts';
export type { Projection } from './cache/fields.ts';
export type { GetResult, WorkQueue } from './queue/workqueue.ts';
export type { QueueMetrics } from './queue/metrics.ts';
export type { TimerHandle } from './util/clock.ts';
