// The two sizes of the chaos run: FULL is issue-sized (`make chaos`), SHORT keeps `make test` short
// while still crossing every fault once.
import type { ChaosOptions } from './scenario.ts';

type Size = Omit<ChaosOptions, 'seed' | 'log'>;

export const FULL: Size = {
  jobs: 10,
  completions: 100,
  parallelism: 5,
  statefulSetReplicas: 20,
  claims: 200,
  hpas: 20,
  kills: 20,
  apiserverRestarts: 2,
  maxPauseMs: 8000,
  convergeTimeoutMs: 1_200_000,
};

export const SHORT: Size = {
  jobs: 2,
  completions: 20,
  parallelism: 5,
  statefulSetReplicas: 5,
  claims: 20,
  hpas: 2,
  kills: 3,
  apiserverRestarts: 2,
  maxPauseMs: 4000,
  convergeTimeoutMs: 600_000,
};
