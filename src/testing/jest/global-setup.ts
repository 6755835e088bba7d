// The preset's global setup: one control plane for the whole Jest run (tests keep apart by namespace),
// its admin kubeconfig in $TENTACLE_KUBECONFIG for every worker. Options come from the project's
// `globals.tentacle` (see JestOptions); a $TENTACLE_KUBECONFIG set before the run means "use that one".
import { isAbsolute, resolve } from 'node:path';
import { TestEnvironment } from '../environment.ts';

/** `globals: { tentacle: { … } }` in a Jest config using the preset. */
export interface JestOptions {
  /** CRD manifests (files or folders), relative to the project's rootDir. */
  crds?: string[];
  /** Simulated kwok nodes (default 3; 0 with kwok: false). */
  nodes?: number;
  /** Run kube-controller-manager, kube-scheduler, kwok and metrics-server (each default true). */
  controllerManager?: boolean;
  scheduler?: boolean;
  kwok?: boolean;
  metricsServer?: boolean;
}

interface ProjectConfig {
  rootDir: string;
  globals?: { tentacle?: JestOptions };
}

/** Where global-teardown.ts finds what this started (both run in Jest's parent process, once per project). */
export const ENVIRONMENTS_KEY = Symbol.for('tentacle.testing.jest.environments');

export function startedEnvironments(): TestEnvironment[] {
  const store = globalThis as Record<symbol, TestEnvironment[] | undefined>;
  return (store[ENVIRONMENTS_KEY] ??= []);
}

export default async function globalSetup(_globalConfig: unknown, project: ProjectConfig): Promise<void> {
  const options = project.globals?.tentacle ?? {};
  const crds = (options.crds ?? []).map((path) => (isAbsolute(path) ? path : resolve(project.rootDir, path)));
  const { crds: _crds, ...controlPlane } = options;
  const dir = process.env.TENTACLE_TEST_DIR;
  const env = await TestEnvironment.start({
    crds,
    controlPlane: { ...controlPlane, ...(dir ? { dir } : {}), log: (line) => process.stderr.write(`[control plane] ${line}\n`) },
  });
  startedEnvironments().push(env);
  // Workers start after global setup and inherit the environment.
  process.env.TENTACLE_KUBECONFIG = env.kubeconfigPath;
}
