// The shapes the runtime reads on every object, as the API server sends them in JSON (timestamps are
// RFC 3339 strings). Controllers describe their own kinds on top of KubeObject.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Group, version and kind of a resource type; `group` is '' for the core API. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/**
 * An object as a cache shares it with every reader: read-only all the way down, so that a reconciler
 * cannot change what the next one reads. Build a write from a copy (mutableCopy) or a spread.
 */
export type ReadonlyDeep<T> = T extends (infer E)[]
  ? readonly ReadonlyDeep<E>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

/** `T` with its own fields writable (not theirs): to fill in a shallow copy of a read-only object. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A private deep copy of a shared, read-only object: what a write is built from. */
export function mutableCopy<T>(value: ReadonlyDeep<T>): T {
  return structuredClone(value) as T;
}

/** Any object as a reader may hold it, read-only or not: what helpers that only read accept. */
export type ReadonlyObject = ReadonlyDeep<KubeObject>;

/** Anything with object metadata, read-only (a whole object, or a template's metadata holder). */
export type WithMetadata = { readonly metadata: ReadonlyDeep<ObjectMeta> };

declare const objectType: unique symbol;

/**
 * A kind that carries the TypeScript type of its objects (make one with defineKind), so that what
 * reads or writes it infers that type: `cache.get(JOB, ns, name)` is a Job, and a Pod kind where a Job
 * is expected does not compile. A plain GroupVersionKind is a Kind of any object.
 */
export interface Kind<T extends KubeObject = KubeObject> extends GroupVersionKind {
  /**
   * Only for the compiler (never set at run time): the type of the kind's objects, in and out, so
   * that Kind<A> and Kind<B> are interchangeable only when A and B are the same type.
   */
  readonly [objectType]?: (object: T) => T;
}

/** `defineKind<Job>('batch', 'v1', 'Job')`: the kind of the objects typed `T`. */
export function defineKind<T extends KubeObject>(group: string, version: string, kind: string): Kind<T> {
  return { group, version, kind };
}

/** A work item: the object to reconcile. `namespace` is '' for cluster-scoped objects. */
export interface Request {
  namespace: string;
  name: string;
}

export function objectKey(obj: { readonly metadata: Pick<ObjectMeta, 'namespace' | 'name'> }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : (obj.metadata.name ?? '');
}

export function requestKey(req: Request): string {
  return req.namespace ? `${req.namespace}/${req.name}` : req.name;
}

export function parseRequestKey(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function gvkOf(apiVersion: string, kind: string): GroupVersionKind {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion, kind }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

export function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}
