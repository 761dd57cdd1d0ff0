// Lints the app's TypeScript (type-aware rules off: tsc --noEmit checks types) and the test's
// JavaScript, in the manner of zombienet/eslint.config.mjs: errors only, formatting left alone.
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test-output/**'] },
  {
    files: ['src/**/*.ts', 'vite.config.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/no-shadow': 'error',
      '@typescript-eslint/no-use-before-define': ['error', { functions: false, classes: false }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['test/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
    rules: {
      'no-undef': 'error',
      'no-use-before-define': ['error', { functions: false }],
      'no-shadow': 'error',
      'no-unused-vars': 'error',
      'no-redeclare': 'error',
      'no-const-assign': 'error',
    },
  },
);
