// `make chaos`: the chaos run of scenario.ts at full size, N times in a row; exits 1 on the first run
// that breaks a guarantee. `--short` is the size `make test` runs (test/integration/chaos.test.ts).
//
//   node test/chaos/chaos.ts [--runs 1] [--seed N] [--short]
import { parseArgs } from 'node:util';
import { brokenGuarantees, describe, runChaos, type ChaosOptions } from './scenario.ts';
import { FULL, SHORT } from './sizes.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    seed: { type: 'string' },
    short: { type: 'boolean', default: false },
  },
});

const size = values.short ? SHORT : FULL;
for (let run = 1; run <= Number(values.runs); run++) {
  const seed = values.seed ? Number(values.seed) + run - 1 : Math.floor(Math.random() * 2 ** 31);
  const options: ChaosOptions = { ...size, seed, log: (line) => process.stderr.write(`[chaos ${run}] ${line}\n`) };
  const report = await runChaos(options);
  console.log(describe(report).join('\n'));
  const broken = brokenGuarantees(report, size);
  if (broken.length) {
    console.log(`run ${run} FAILED (${broken.join('; ')}); repeat it with --seed ${seed}`);
    process.exit(1);
  }
}
