// How a fuzz run is printed and judged.
import type { FuzzReport } from './fuzz.ts';

export function describeFuzz(r: FuzzReport): string[] {
  const accepted = r.kinds.reduce((n, k) => n + k.accepted, 0);
  return [
    `fuzz run, seed ${r.seed}`,
    '| kind | sent | rejected at admission | accepted | accepted with conditions | accepted with a Warning event | unclear rejections |',
    '|---|---|---|---|---|---|---|',
    ...r.kinds.map((k) => `| ${k.kind} | ${k.sent} | ${k.rejected} | ${k.accepted} | ${k.withConditions} | ${k.warned} | ${k.unclear.length} |`),
    `operator restarts: ${r.operatorRestarts}; unhandled rejections: ${r.unhandledRejections}`,
    `reconcile errors: ${r.errors} in all, ${r.errorsInWindow} in the last ${r.windowMs / 1000} s (${accepted} objects accepted; ${Object.entries(r.errorsByController).map(([c, n]) => `${c} ${n}`).join(', ')})`,
    `most failed reconciles of one object in that window: ${r.busiestKey ? `${r.busiestKey.errors} (${r.busiestKey.key})` : 0}; the bound is ${r.retryBound}`,
    ...r.kinds.flatMap((k) => k.unclear.slice(0, 5).map((u) => `unclear ${k.kind} rejection: ${u}`)),
    ...r.kinds.flatMap((k) => k.examples.map((e) => `example ${k.kind} rejection: ${e}`)),
  ];
}

/** Clear rejections, no restart, nothing unhandled, and every object's retries backed off. */
export function fuzzPassed(r: FuzzReport): boolean {
  return r.kinds.every((k) => k.unclear.length === 0) && r.operatorRestarts === 0 && r.unhandledRejections === 0 && (r.busiestKey?.errors ?? 0) <= r.retryBound;
}
