// Lint: recommended rules plus the few that keep the architecture honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Only adapters may talk to Redis or Postgres; only reporters (and the cli entry) to the terminal.
    // core/ and topology/ are the pure centre: they import neither those libraries nor, by a
    // relative path, any layer around them.
    files: ['src/core/**', 'src/topology/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'ioredis',
                'pg',
                'pg-cursor',
                'pg-copy-streams',
                'chalk',
                'cli-progress',
                'node:net',
                'node:tls',
                'node:fs',
                'node:fs/promises',
                'node:child_process',
              ],
              message: 'core/ and topology/ are pure: sockets, files and the terminal belong to adapters/ and reporters/',
            },
            {
              group: ['**/adapters/**', '**/commands/**', '**/reporters/**', '**/cli.js', '**/io.js'],
              message: 'core/ and topology/ must not depend on the layers around them: define a port in core/ instead',
            },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  {
    // Commands are thin: they parse flags, call core and adapters, and pick a reporter. Files,
    // sockets and processes are the adapters' (a file a command needs is read by adapters/files/).
    files: ['src/commands/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['ioredis', 'pg', 'node:net', 'node:tls', 'node:fs', 'node:fs/promises', 'node:child_process'],
              message: 'commands touch no file, socket or process: put the I/O in adapters/ (files in adapters/files/)',
            },
          ],
        },
      ],
    },
  },
  {
    // Reporters render what core computed; the adapters' types reach them through core.
    files: ['src/reporters/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/adapters/**', '**/commands/**'], message: 'reporters depend on core/ only: move the type into core/' }] },
      ],
    },
  },
);
