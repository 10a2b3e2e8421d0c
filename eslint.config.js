// One flat config for every workspace: typescript-eslint's recommended rules,
// plus the few that catch real bugs in async, queue-driven code. Those are
// type-aware (a floating promise or a non-exhaustive switch over the event
// union can only be seen with types), so every TypeScript file is linted with
// its own tsconfig through the project service.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'apps/cli/bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      // A workspace reaches another only through its package name (its declared
      // dependency and its public exports), never by a relative path into its
      // sources or into the repository's tests; test support is @runwarden/testing.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(packages|apps)/|^(\\.\\./){2,}test/',
              message:
                'Import a workspace by its name (@runwarden/…), not by a path into the repository.',
            },
            {
              regex: '^(\\.\\./)+[\\w-]+/src/',
              message: 'Import another workspace by its name (@runwarden/…), not into its src/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
);
