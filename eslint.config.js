import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.skypool/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['src/build.mjs', 'src/cli/**', 'src/database/migration-cli.ts', 'src/graphql/schema-cli.ts', 'src/identity/claims-cli.ts', 'bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  // GraphQL answers in tests are read as loosely typed JSON
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
