// tentacle/testing/jest-preset: Jest runs TypeScript test files as ES modules (through @swc/jest, which
// the project installs beside jest; node needs --experimental-vm-modules for ESM in Jest), with one
// control plane per run from global setup. Configure it with `globals: { tentacle: JestOptions }`.
import { fileURLToPath } from 'node:url';

/** This file's siblings, whether it runs from the sources (.ts) or the built package (.js). */
const sibling = (name: string) => fileURLToPath(new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** @swc/jest's options: strip the types, keep the syntax Node 24 runs (it emits ES modules when Jest loads them). */
export const swcOptions = { jsc: { target: 'es2024', parser: { syntax: 'typescript' } } };

/** TypeScript as ESM, without the control plane: for unit-test projects. */
export const typescriptEsm = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
};

export default {
  ...typescriptEsm,
  globalSetup: sibling('global-setup'),
  globalTeardown: sibling('global-teardown'),
};
