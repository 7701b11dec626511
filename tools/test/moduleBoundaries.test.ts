import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules that keep design.md's dependency direction and the
// "libraries never print" rule true, checked on code that breaks them.
const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function ruleIdsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('module boundaries', () => {
  it('refuse an import against the dependency direction (tensor must not depend on freqkv, which depends on it)', async () => {
    const ids = await ruleIdsFor("import { dct } from '@globalmcp/freqkv';\nexport const f = dct;\n", 'packages/tensor/src/probe.ts');
    expect(ids).toContain('@nx/enforce-module-boundaries');
  });

  it('allow an import along the direction (freqkv may use tensor)', async () => {
    const ids = await ruleIdsFor("import { createTensor } from '@globalmcp/tensor';\nexport const f = createTensor;\n", 'packages/freqkv/src/probe.ts');
    expect(ids).toEqual([]);
  });

  it('refuse console output in library code but allow it in tools', async () => {
    expect(await ruleIdsFor("console.log('x');\nexport {};\n", 'packages/freqkv/src/probe.ts')).toContain('no-console');
    expect(await ruleIdsFor("console.log('x');\nexport {};\n", 'tools/bench/probe.mjs')).toEqual([]);
  });
});

describe('the dependency direction encoded for lint', async () => {
  const { depConstraints } = (await import('../lint/dependencyDirection.mjs')) as {
    depConstraints: { sourceTag: string; onlyDependOnLibsWithTags: string[] }[];
  };
  const allowed = (tag: string) => depConstraints.find((c) => c.sourceTag === tag)?.onlyDependOnLibsWithTags;

  it('keeps numeric packages free of everything but the shared tensor package', () => {
    expect(allowed('type:tensor')).toEqual([]);
    expect(allowed('type:numeric')).toEqual(['type:tensor']);
  });

  it('lets the router use the registry, and nothing else in packages reach an app', () => {
    expect(allowed('type:router')).toEqual(['type:registry']);
    expect(allowed('type:registry')).toEqual([]);
    expect(allowed('type:integrations')).toEqual([]);
    for (const c of depConstraints.filter((d) => !['type:cli', 'type:tools'].includes(d.sourceTag))) {
      expect(c.onlyDependOnLibsWithTags).not.toContain('type:cli');
    }
    expect(allowed('type:server')).not.toContain('type:server');
  });

  it('tags every project in the workspace with a constrained tag', async () => {
    const { readdirSync, readFileSync, existsSync } = await import('node:fs');
    const tags = new Set(depConstraints.map((c) => c.sourceTag));
    const dirs = ['packages', 'apps'].flatMap((d) => (existsSync(`${root}/${d}`) ? readdirSync(`${root}/${d}`).map((p) => `${root}/${d}/${p}`) : []));
    for (const dir of [...dirs, `${root}/tools`].filter((d) => existsSync(`${d}/package.json`))) {
      const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name: string; nx?: { tags?: string[] } };
      expect(pkg.nx?.tags?.some((t) => tags.has(t)), `${pkg.name} has a tag from dependencyDirection.mjs`).toBe(true);
    }
  });
});
