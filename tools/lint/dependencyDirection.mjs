// The dependency direction of ../shared/docs/design.md, as Nx tags. Each
// project's package.json carries its tag under "nx.tags".
export const depConstraints = [
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
