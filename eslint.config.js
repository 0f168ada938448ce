import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The layering of docs/architecture.md: adapters → services → ports → core; only app.ts wires implementations. */
const BACKENDS = [
  '**/store/sqlite/**',
  '**/store/postgres/**',
  '**/store/mysql/**',
  '**/store/sql/**',
  '**/artifacts/local/**',
  '**/artifacts/s3/**',
  '**/artifacts/azure/**',
];
const SDKS = ['kysely', 'better-sqlite3', 'pg', 'mysql2', '@aws-sdk/*', '@azure/*'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/test return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict(['../*', 'fastify', ...SDKS], 'core imports nothing internal and no SDK'),
  },
  {
    files: ['src/search/**/*.ts'],
    rules: restrict(
      ['**/api/**', '**/store/**', '**/tracking/**', '**/config/**', 'fastify', ...SDKS],
      'search is a pure grammar: core only',
    ),
  },
  {
    files: ['src/tracking/**/*.ts', 'src/registry/**/*.ts', 'src/doctor/**/*.ts', 'src/transfer/**/*.ts'],
    rules: restrict(
      ['**/api/**', '**/cli/**', '**/config/**', '**/app.ts', 'fastify', ...BACKENDS, ...SDKS],
      'services see ports and core only',
    ),
  },
  {
    files: ['src/api/**/*.ts', 'src/cli/**/*.ts'],
    rules: restrict([...BACKENDS, ...SDKS], 'adapters call services, never backends or SDKs'),
  },
  {
    files: ['src/store/**/*.ts'],
    rules: restrict(
      ['**/api/**', '**/cli/**', '**/config/**', '**/tracking/**', '**/app.ts', 'fastify'],
      'stores import only core, search and their SDK',
    ),
  },
  {
    files: ['ui/src/**/*.ts', 'ui/src/**/*.tsx'],
    rules: restrict(
      ['**/src/**', 'node:*', 'fastify', ...SDKS],
      'the UI talks to the server over HTTP only: nothing from src/ or Node',
    ),
  },
);
