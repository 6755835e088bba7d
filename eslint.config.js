// Lint rules: typescript-eslint's type-aware recommended set, with floating promises as errors because
// an unhandled rejection in a controller is exactly the crash the runtime promises never to have.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test/e2e/fixtures/consumer is a user's project: package.test.ts type-checks it against the packed package.
  { ignores: ['dist/', 'node_modules/', 'bin/', '.dev/', 'charts/', '.bench-before/', 'test/e2e/fixtures/consumer/', 'examples/operator/'] },
  // typedoc's output (make docs).
  { ignores: ['docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Jest's describe/test register what the runner itself runs and awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@jest/globals', name: ['test', 'describe', 'it'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['eslint.config.js', 'jest.config.js'], ...tseslint.configs.disableTypeChecked },
);
