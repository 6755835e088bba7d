// Jest runs the TypeScript sources as ES modules (the package is "type": "module" and
// @kubernetes/client-node 2.x is ESM-only). Jest's ESM support sits behind Node's
// --experimental-vm-modules, so every runner (Makefile, package.json, hack/test-*.sh) starts it as
//   node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects <project>
// @swc/jest strips the types (the settings of tentacle/testing's preset); the sources' explicit .ts
// imports resolve as they are.
import preset, { typescriptEsm } from './src/testing/jest/preset.ts';

const esm = {
  // Jest's Node environment, changed where a test file would not run as in a process of its own.
  testEnvironment: '<rootDir>/test/support/jest-environment.ts',
  extensionsToTreatAsEsm: typescriptEsm.extensionsToTreatAsEsm,
  transform: typescriptEsm.transform,
  // A user's project that test/e2e/package.test.ts type-checks against the packed package.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/fixtures/'],
};

/** A project over `roots` whose tests and hooks time out after `testTimeout` ms unless a file sets its own. */
const project = (displayName, roots, testTimeout) => ({ ...esm, displayName, roots, testTimeout });

export default {
  projects: [
    project('unit', ['<rootDir>/test/unit'], 60_000),
    // One control plane for the run, started and stopped by the preset's global setup and teardown, with
    // crds/ installed (as a user's project gets it); tests keep apart by namespace.
    {
      ...project('integration', ['<rootDir>/test/integration', '<rootDir>/test/e2e'], 600_000),
      globalSetup: preset.globalSetup,
      globalTeardown: preset.globalTeardown,
      globals: { tentacle: { crds: ['crds'] } },
    },
    project('real-node', ['<rootDir>/test/real-node'], 900_000),
  ],
};
