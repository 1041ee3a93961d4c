// Lint: recommended rules plus the few that keep the architecture honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Only adapters may talk to Redis or Postgres; only reporters (and the cli entry) to the terminal.
    files: ['src/core/**', 'src/topology/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['ioredis', 'pg', 'pg-cursor', 'chalk', 'cli-progress', 'node:net', 'node:fs', 'node:fs/promises'] }],
      'no-console': 'error',
    },
  },
);
