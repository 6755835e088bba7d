// The preset's global teardown: stops what global setup started (a control plane found through a
// $TENTACLE_KUBECONFIG given before the run is left running).
import { startedEnvironments } from './global-setup.ts';

export default async function globalTeardown(): Promise<void> {
  const started = startedEnvironments().splice(0);
  const results = await Promise.allSettled(started.reverse().map((env) => env.stop()));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  if (failed.length) throw new Error(failed.join('; '));
}
