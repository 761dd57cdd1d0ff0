// Lints the network tests' and load tools' JavaScript (scripts/test.sh runs it before any build):
// undefined names, names used before their definition, shadowed and unused names, reassigned
// constants. Errors only; formatting is left to the authors.
import globals from 'globals';

export default [
  { ignores: ['node_modules/**'] },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs', '**/*.cjs'],
    rules: {
      'no-undef': 'error',
      'no-use-before-define': ['error', { functions: false }],
      'no-shadow': 'error',
      'no-unused-vars': 'error',
      'no-redeclare': 'error',
      'no-const-assign': 'error',
    },
  },
];
