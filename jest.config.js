// Jest runs the TypeScript sources as ES modules (the package is "type": "module" and
// @kubernetes/client-node 2.x is ESM-only). Jest's ESM support sits behind Node's
// --experimental-vm-modules, so every runner (Makefile, package.json, hack/test-*.sh) starts it as
//   node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects <project>
// @swc/jest strips the types; the sources' explicit .ts imports resolve as they are.
const esm = {
  // Jest's Node environment, changed where a test file would not run as in a process of its own.
  testEnvironment: '<rootDir>/test/support/jest-environment.ts',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2024', parser: { syntax: 'typescript' } } }],
  },
  // A user's project that test/e2e/package.test.ts type-checks against the packed package.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/fixtures/'],
};

/** A project over `roots` whose tests and hooks time out after `testTimeout` ms unless a file sets its own. */
const project = (displayName, roots, testTimeout) => ({ ...esm, displayName, roots, testTimeout });

export default {
  projects: [
    project('unit', ['<rootDir>/test/unit'], 60_000),
    project('integration', ['<rootDir>/test/integration', '<rootDir>/test/e2e'], 600_000),
    project('real-node', ['<rootDir>/test/real-node'], 900_000),
  ],
};
