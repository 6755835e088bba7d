// A test environment, what envtest is to Go: a real control plane (started here, or one already running
// found by its kubeconfig), CRDs installed from manifests, a runtime client, and a fresh namespace per test.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import yaml from 'js-yaml';
import { Client } from '../runtime/client/client.ts';
import { defineKind, type Kind, type KubeObject } from '../runtime/types.ts';
import { findCondition, isConditionTrue } from '../runtime/util/conditions.ts';
import type { ControlPlane } from './control-plane/local.ts';
import { startControlPlane, type ControlPlaneOptions } from './control-plane/start.ts';
import { waitFor, type WaitOptions } from './wait.ts';

/** The fields of a CRD that installCrds reads. */
export interface CustomResourceDefinition extends KubeObject {
  spec: { group: string; names: { plural: string } };
  status?: { conditions?: { type: string; status: string }[] };
}
const CRD = defineKind<CustomResourceDefinition>('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition');
const NAMESPACE = defineKind<KubeObject>('', 'v1', 'Namespace');
/** Label on every namespace an environment creates, so that a crashed run's leftovers can be found. */
export const TEST_NAMESPACE_LABEL = 'testing.tentacle.dev/environment';

export interface TestEnvironmentOptions {
  /**
   * Use the control plane of this admin kubeconfig instead of starting one; default
   * $TENTACLE_KUBECONFIG (set by the Jest preset's global setup). Empty string: always start one.
   */
  kubeconfig?: string;
  /** CRD manifests to install before start() resolves: files, or folders of .yaml, .yml and .json files. */
  crds?: string[];
  /** For the control plane it starts; `dir` defaults to a new temporary folder that stop() removes. */
  controlPlane?: Partial<ControlPlaneOptions>;
}

export class TestEnvironment {
  /** The admin (system:masters) kubeconfig of the control plane. */
  readonly kubeconfigPath: string;
  /** A runtime client as the admin user. */
  readonly client: Client;
  /** The control plane this environment started; undefined when it uses one that was running. */
  readonly controlPlane: ControlPlane | undefined;
  readonly #ownDir: string | undefined;
  readonly #namespaces = new Set<string>();

  private constructor(kubeconfigPath: string, client: Client, controlPlane?: ControlPlane, ownDir?: string) {
    this.kubeconfigPath = kubeconfigPath;
    this.client = client;
    this.controlPlane = controlPlane;
    this.#ownDir = ownDir;
  }

  /** Starts (or finds) the control plane, connects, and installs `crds`. Call stop() when done. */
  static async start(opts: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
    const existing = opts.kubeconfig ?? process.env.TENTACLE_KUBECONFIG;
    let env: TestEnvironment;
    if (existing) {
      env = new TestEnvironment(existing, await Client.connect({ kubeconfig: existing }));
    } else {
      const ownDir = opts.controlPlane?.dir ? undefined : mkdtempSync(join(tmpdir(), 'tentacle-testenv-'));
      let cp: ControlPlane | undefined;
      try {
        cp = await startControlPlane({ ...opts.controlPlane, dir: opts.controlPlane?.dir ?? ownDir! });
        env = new TestEnvironment(cp.kubeconfigPath, await Client.connect({ kubeconfig: cp.kubeconfigPath }), cp, ownDir);
      } catch (err) {
        // startControlPlane stops what it started when it fails; a failed connect leaves cp to stop.
        await cp?.stop().catch(() => {});
        if (ownDir) rmSync(ownDir, { recursive: true, force: true });
        throw err;
      }
    }
    try {
      if (opts.crds?.length) await env.installCrds(opts.crds);
    } catch (err) {
      await env.stop();
      throw err;
    }
    return env;
  }

  /**
   * Applies every CustomResourceDefinition in `paths` (server-side apply) and waits until each is
   * Established and its kinds are served. Other kinds in those files are an error: CRDs only.
   */
  async installCrds(paths: string[], timeoutMs = 60_000): Promise<CustomResourceDefinition[]> {
    const crds = readManifests(paths).map((obj) => {
      if (obj.apiVersion !== 'apiextensions.k8s.io/v1' || obj.kind !== 'CustomResourceDefinition') {
        throw new Error(`installCrds: ${obj.kind ?? '(no kind)'} ${obj.metadata?.name ?? ''} is not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
      }
      if (!obj.metadata?.name) throw new Error('installCrds: a CustomResourceDefinition without metadata.name');
      return obj as CustomResourceDefinition;
    });
    for (const crd of crds) await this.client.apply(crd, { force: true });
    for (const crd of crds) {
      const name = crd.metadata.name!;
      await waitFor(async () => isConditionTrue((await this.client.get(CRD, '', name)).status?.conditions, 'Established'), {
        timeoutMs,
        what: `CRD ${name} Established`,
      });
    }
    this.client.mapper.reset();
    return crds;
  }

  /**
   * Creates a namespace with a fresh name (`prefix`-<random>) and returns its name; stop() deletes it.
   * One per test keeps tests that share a control plane apart.
   */
  async namespace(prefix = 'test'): Promise<string> {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await this.client.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: String(process.pid) } },
    });
    this.#namespaces.add(name);
    return name;
  }

  /**
   * Waits until the object has the condition `type` with `status` (default True) and, if given, `reason`;
   * resolves with the object. A timeout says what the condition was last.
   */
  async waitForCondition<T extends KubeObject & { status?: { conditions?: readonly { type: string; status: string; reason?: string }[] } }>(
    kind: Kind<T>,
    namespace: string,
    name: string,
    type: string,
    opts: { status?: 'True' | 'False' | 'Unknown'; reason?: string } & Omit<WaitOptions, 'what'> = {},
  ): Promise<T> {
    const { status = 'True', reason, ...wait } = opts;
    const want = `${type}=${status}${reason ? ` (${reason})` : ''}`;
    return waitFor(
      async () => {
        const obj = await this.client.get(kind, namespace, name);
        const found = findCondition(obj.status?.conditions, type);
        if (found?.status === status && (reason === undefined || found.reason === reason)) return obj;
        throw new Error(found ? `${type}=${found.status} (${found.reason ?? ''})` : `no ${type} condition`);
      },
      { ...wait, what: `${kind.kind} ${namespace}/${name} ${want}` },
    );
  }

  /**
   * Deletes the namespaces it created (without waiting: namespace deletion is the control plane's
   * job), closes the client, and stops the control plane it started and removes its temporary folder.
   */
  async stop(): Promise<void> {
    const failures: unknown[] = [];
    for (const name of this.#namespaces) {
      await this.client.delete(NAMESPACE, '', name).catch((err: unknown) => failures.push(err));
    }
    this.#namespaces.clear();
    await this.client.close().catch((err: unknown) => failures.push(err));
    if (this.controlPlane) await this.controlPlane.stop().catch((err: unknown) => failures.push(err));
    if (this.#ownDir) rmSync(this.#ownDir, { recursive: true, force: true });
    if (failures.length) throw new Error(`stopping the test environment: ${failures.map(String).join('; ')}`);
  }
}

/** Every object in the manifest files (folders: their .yaml, .yml and .json files, sorted). */
export function readManifests(paths: string[]): KubeObject[] {
  const files = paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
          .sort()
          .map((f) => join(path, f))
      : [path],
  );
  return files.flatMap((file) =>
    yaml.loadAll(readFileSync(file, 'utf8')).filter((doc): doc is KubeObject => doc !== null && typeof doc === 'object'),
  );
}
