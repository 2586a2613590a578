// ESLint (flat config) with typescript-eslint: `npm run lint`, part of the quick lane (test/quick.sh).
// The recommended rules of ESLint and typescript-eslint, plus the type-aware rules that catch a
// promise nobody waits for or catches (an async pipeline's usual silent failure). Every rule
// turned off or tuned here says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bpf/build/', 'test/bench/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      // Each file is checked with the tsconfig that builds it (web/src: web/tsconfig.json).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test() and describe() return promises the runner itself waits for (its
      // documented use); every other promise is awaited, returned, caught or marked `void`.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      // tsc's noUnusedLocals/noUnusedParameters already fail the build on these; a leading `_`
      // marks a name kept on purpose (a destructured field left out, a callback's position).
      // Escaping control characters before they reach a terminal is a security rule here: the
      // regexes that match them (and the tests that prove none is left) mean it.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Not in tests: some build objects with accessors on purpose (a getter that throws).
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['test/**'],
    rules: {
      // V8 (Node 20) makes an object literal with a getter or setter a dictionary-mode object:
      // every load from it is a hash lookup, even in optimized code. Factories add accessors with
      // common/with-getters.ts instead; classes may have them (on the prototype, a fast object).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ObjectExpression > Property[kind='get'], ObjectExpression > Property[kind='set']",
          message: 'an accessor makes this object literal a dictionary in V8: use withGetters (common/with-getters.ts)',
        },
      ],
    },
  },
  {
    // Tests reach into nested JSON documents (ECS, OpenSearch, parsed log lines) whose shape is
    // exactly what they assert; typing every level would restate the code under test.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The build scripts in plain JavaScript run on Node (web/build.mjs an ES module, the helm
    // chart's schema maker CommonJS).
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // A CommonJS script run by node directly: require() is its import.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
