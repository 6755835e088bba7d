// A generic client over any kind, addressed by GroupVersionKind, with the operations controllers need:
// CRUD, the status subresource, the four patch types (server-side apply included) and raw watch streams.
import { gvkOf, type GroupVersionKind, type Kind, type KubeObject, type ReadonlyDeep, type ReadonlyObject } from '../types.ts';
import { connect, type Connection, type ConnectionOptions } from './connection.ts';
import { isNotFound } from './errors.ts';
import { DEFAULT_USER_AGENT, RestClient, type RestOptions } from './rest.ts';
import { RestMapper, resourcePath, type ResourceInfo } from './rest-mapper.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: any;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface RequestOptions {
  /** Aborts the request (e.g. a deadline: `AbortSignal.timeout(ms)`). */
  signal?: AbortSignal;
}

export interface WriteOptions extends RequestOptions {
  fieldManager?: string;
  dryRun?: boolean;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  /** The delete fails with a conflict unless the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** autoscaling/v1 Scale, the body of every scale subresource. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

export interface ClientOptions extends ConnectionOptions, RestOptions {}

export class Client {
  readonly rest: RestClient;
  readonly mapper: RestMapper;
  /** Field manager used for writes unless a call names another; the manager sets the operator's. */
  fieldManager = DEFAULT_USER_AGENT;
  /** Aborts every request of this client (withSignal), besides any signal a call passes. */
  readonly signal: AbortSignal | undefined;

  constructor(rest: RestClient, mapper = new RestMapper(rest), signal?: AbortSignal) {
    this.rest = rest;
    this.mapper = mapper;
    this.signal = signal;
  }

  /**
   * This client with every request also aborted by `signal`. A reconciler works through
   * `client.withSignal(ctx.signal)`, so that shutting down or losing leadership stops its requests at
   * once: a replica that is no longer the leader must not go on writing. The view shares the
   * connection, rate limiter, mapper and field manager; making one costs an object.
   */
  withSignal(signal: AbortSignal): Client {
    const view = new Client(this.rest, this.mapper, this.signal ? AbortSignal.any([this.signal, signal]) : signal);
    view.fieldManager = this.fieldManager;
    return view;
  }

  static async connect(options: ClientOptions = {}): Promise<Client> {
    const connection: Connection = await connect(options);
    return new Client(new RestClient(connection, options));
  }

  close(): Promise<void> {
    return this.rest.connection.close();
  }

  resourceFor(gvk: GroupVersionKind): Promise<ResourceInfo> {
    return this.mapper.resourceFor(gvk);
  }

  async get<T extends KubeObject>(gvk: Kind<T>, namespace: string, name: string, options: RequestOptions = {}): Promise<T> {
    const info = await this.resourceFor(gvk);
    return this.rest.json<T>({ method: 'GET', path: resourcePath(info, namespace, name), ...this.signalOf(options) });
  }

  /** Like get, but undefined when the object does not exist. */
  async find<T extends KubeObject>(
    gvk: Kind<T>,
    namespace: string,
    name: string,
    options: RequestOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(gvk, namespace, name, options);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One page of a list. */
  async list<T extends KubeObject>(gvk: Kind<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const info = await this.resourceFor(gvk);
    const { namespace, ...query } = options;
    return this.rest.json<ObjectList<T>>({ method: 'GET', path: resourcePath(info, namespace), query: { ...query }, ...this.signalOf({}) });
  }

  /** Every page of a list; the resourceVersion is that of the first page (a consistent snapshot). */
  async listAll<T extends KubeObject>(gvk: Kind<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const first = await this.list<T>(gvk, options);
    const items = first.items;
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list<T>(gvk, { ...options, continue: cont, resourceVersion: undefined, resourceVersionMatch: undefined });
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  async create<T extends KubeObject>(obj: ReadonlyDeep<T>, options: WriteOptions = {}): Promise<T> {
    const info = await this.infoOf(obj);
    return this.rest.json<T>({
      method: 'POST',
      path: resourcePath(info, obj.metadata.namespace),
      query: this.writeQuery(options),
      body: obj,
      ...this.signalOf(options),
    });
  }

  /** PUT with the object's resourceVersion: fails with a conflict if the object changed meanwhile. */
  async update<T extends KubeObject>(obj: ReadonlyDeep<T>, options: WriteOptions = {}): Promise<T> {
    return this.put(obj, undefined, options);
  }

  /** PUT to the status subresource, guarded by resourceVersion like update. */
  async updateStatus<T extends KubeObject>(obj: ReadonlyDeep<T>, options: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'status', options);
  }

  async patch<T extends KubeObject>(
    gvk: Kind<T>,
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType,
    options: PatchOptions = {},
  ): Promise<T> {
    const info = await this.resourceFor(gvk);
    const query = this.writeQuery(options);
    if (type === 'apply') {
      query.fieldManager = options.fieldManager ?? this.fieldManager;
      if (options.force) query.force = true;
    }
    return this.rest.json<T>({
      method: 'PATCH',
      path: resourcePath(info, namespace, name, options.subresource),
      query,
      body: patch,
      contentType: patchContentTypes[type],
      ...this.signalOf(options),
    });
  }

  /** Server-side apply of a whole (partial) object: the fields it names become ours. */
  async apply<T extends KubeObject>(obj: ReadonlyDeep<T>, options: PatchOptions = {}): Promise<T> {
    const { metadata } = obj;
    return this.patch<T>(this.gvkOf(obj), metadata.namespace ?? '', metadata.name ?? '', obj, 'apply', options);
  }

  /** The scale subresource (autoscaling/v1 Scale) of any kind that has one. */
  async getScale(gvk: GroupVersionKind, namespace: string, name: string, options: RequestOptions = {}): Promise<Scale> {
    const info = await this.resourceFor(gvk);
    return this.rest.json<Scale>({ method: 'GET', path: resourcePath(info, namespace, name, 'scale'), ...this.signalOf(options) });
  }

  /** Writes spec.replicas through the scale subresource; the scale's resourceVersion, if set, guards it. */
  async updateScale(gvk: GroupVersionKind, scale: Scale, options: WriteOptions = {}): Promise<Scale> {
    const info = await this.resourceFor(gvk);
    const { namespace, name } = scale.metadata;
    return this.rest.json<Scale>({
      method: 'PUT',
      path: resourcePath(info, namespace, name, 'scale'),
      query: this.writeQuery(options),
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale },
      ...this.signalOf(options),
    });
  }

  /** Deletes; resolves false if the object was already gone. */
  async delete(gvk: GroupVersionKind, namespace: string, name: string, options: DeleteOptions = {}): Promise<boolean> {
    const info = await this.resourceFor(gvk);
    try {
      await this.rest.json({
        method: 'DELETE',
        path: resourcePath(info, namespace, name),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', ...options },
        ...this.signalOf({}),
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Opens a watch and yields its events until the server closes the stream, the signal aborts, or an
   * error occurs (thrown). Recovery (relist, reconnect) is the watcher's job, not this method's.
   */
  async *watch(gvk: GroupVersionKind, options: WatchOptions, signal?: AbortSignal): AsyncGenerator<WatchEvent> {
    const info = await this.resourceFor(gvk);
    const { namespace, ...query } = options;
    const stream = await this.rest.stream({
      method: 'GET',
      path: resourcePath(info, namespace),
      query: { ...query, watch: true },
      ...this.signalOf(signal ? { signal } : {}),
    });
    try {
      // One event per line; a chunk may hold many events or part of one. Scan each chunk once and
      // keep only the unfinished tail, so large lists of events cost linear time.
      let buffered = '';
      for await (const chunk of stream) {
        buffered += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
        let start = 0;
        let newline: number;
        while ((newline = buffered.indexOf('\n', start)) >= 0) {
          const line = buffered.slice(start, newline).trim();
          start = newline + 1;
          if (line) yield JSON.parse(line) as WatchEvent;
        }
        buffered = buffered.slice(start);
      }
      const rest = buffered.trim();
      if (rest) yield JSON.parse(rest) as WatchEvent;
    } finally {
      stream.destroy();
    }
  }

  gvkOf(obj: ReadonlyObject): GroupVersionKind {
    if (!obj.apiVersion || !obj.kind) throw new Error('object has no apiVersion/kind');
    return gvkOf(obj.apiVersion, obj.kind);
  }

  private infoOf(obj: ReadonlyObject): Promise<ResourceInfo> {
    return this.resourceFor(this.gvkOf(obj));
  }

  private async put<T extends KubeObject>(obj: ReadonlyDeep<T>, subresource: string | undefined, options: WriteOptions): Promise<T> {
    const info = await this.infoOf(obj);
    return this.rest.json<T>({
      method: 'PUT',
      path: resourcePath(info, obj.metadata.namespace, obj.metadata.name, subresource),
      query: this.writeQuery(options),
      body: obj,
      ...this.signalOf(options),
    });
  }

  /** The call's signal and this client's, whichever are set. */
  private signalOf(options: RequestOptions): { signal?: AbortSignal } {
    const signal = options.signal && this.signal ? AbortSignal.any([options.signal, this.signal]) : (options.signal ?? this.signal);
    return signal ? { signal } : {};
  }

  private writeQuery(options: WriteOptions): Record<string, string | boolean> {
    const query: Record<string, string | boolean> = {};
    if (options.fieldManager) query.fieldManager = options.fieldManager;
    if (options.dryRun) query.dryRun = 'All';
    return query;
  }
}
