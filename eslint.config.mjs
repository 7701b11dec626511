import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import globals from 'globals';

// The dependency direction of ../shared/docs/design.md, as Nx tags. Each
// project's package.json carries its tag under "nx.tags".
const depConstraints = [
  { sourceTag: 'type:tensor', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:numeric', onlyDependOnLibsWithTags: ['type:tensor'] },
  { sourceTag: 'type:pipeline', onlyDependOnLibsWithTags: ['type:tensor', 'type:numeric'] },
  { sourceTag: 'type:registry', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:router', onlyDependOnLibsWithTags: ['type:registry'] },
  { sourceTag: 'type:integrations', onlyDependOnLibsWithTags: [] },
  {
    sourceTag: 'type:server',
    onlyDependOnLibsWithTags: ['type:tensor', 'type:numeric', 'type:pipeline', 'type:registry', 'type:router', 'type:integrations'],
  },
  {
    sourceTag: 'type:cli',
    onlyDependOnLibsWithTags: ['type:tensor', 'type:numeric', 'type:pipeline', 'type:registry', 'type:router', 'type:integrations', 'type:server'],
  },
  { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['*'] },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Project code only: config files at a project's root may share the workspace's settings.
    plugins: { '@nx': nx },
    files: ['{packages,apps}/*/{src,test,bench}/**/*.{ts,mts,mjs,js}', 'tools/**/*.{ts,mts,mjs,js}'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
    },
  },
  {
    files: ['**/*.{ts,mts}'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Libraries never print: stdout belongs to the stdio transport and to the CLI's results.
    files: ['packages/*/src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.mjs', 'tools/**/*.js'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
);
