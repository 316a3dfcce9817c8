// The house's layering, checked on the import statements themselves: the domain stands alone, the
// services and tools never reach into a chat surface, and no service depends on the CLI.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

interface Import {
  /** The importing file, relative to the repository. */
  from: string;
  /** What the statement names, as written. */
  specifier: string;
  /** The imported file relative to the repository, for relative specifiers. */
  target: string | null;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

// Static imports and re-exports (`import … from`, `import '…'`, `export … from`) and dynamic `import('…')`.
const IMPORT = /(?:^|[\n;])\s*(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(IMPORT)) {
    const specifier = (m[1] ?? m[2])!;
    const target = specifier.startsWith('.') ? relative(ROOT, resolve(dirname(file), specifier)).split(sep).join('/').replace(/\.js$/, '.ts') : null;
    out.push({ from: relative(ROOT, file).split(sep).join('/'), specifier, target });
  }
  return out;
}

let all: Import[] = [];

async function load(): Promise<Import[]> {
  if (all.length > 0) return all;
  const files = await sourceFiles(SRC);
  all = (await Promise.all(files.map(async (f) => importsOf(f, await readFile(f, 'utf8'))))).flat();
  return all;
}

// Packages whose only use is I/O (files, network, processes, databases, vendors' clients). Pure
// helpers such as decimal.js, zod or node:crypto's hashing are fine in the domain.
const IO_PACKAGES = /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|dns|child_process|cluster|worker_threads|readline|tty|timers)$|^(pg|pg-copy-streams|@electric-sql\/pglite|drizzle-orm|ccxt|@pythnetwork\/.*|@anthropic-ai\/.*|telegraf|discord\.js|@modelcontextprotocol\/.*|echarts|@resvg\/.*)(\/.*)?$/;

const describeImport = (i: Import): string => `${i.from} imports ${i.specifier}`;

describe('architecture', () => {
  it('finds the imports it checks (a scanner that sees nothing would pass everything)', async () => {
    const imports = await load();
    expect(imports.some((i) => i.from === 'src/cli.ts' && i.target === 'src/app.ts'), 'the scanner must see src/cli.ts importing ./app.js').toBe(true);
    expect(imports.some((i) => i.from.startsWith('src/domain/') && i.specifier === 'decimal.js'), 'the scanner must see package imports in the domain').toBe(true);
    const sample = importsOf(join(SRC, 'x/y.ts'), "import type { A } from '../bot/a.js';\nexport { b } from './b.js';\nconst c = await import('../cli.js');\n// import { d } from '../bot/d.js';");
    expect(sample.map((i) => i.target), 'static, type-only, re-export and dynamic imports are all seen; comments are not').toEqual(['src/bot/a.ts', 'src/x/b.ts', 'src/cli.ts']);
  });

  it('src/domain imports nothing outside src/domain, and no package that does I/O', async () => {
    const bad = (await load()).filter((i) => i.from.startsWith('src/domain/') && (i.target === null ? IO_PACKAGES.test(i.specifier) : !i.target.startsWith('src/domain/')));
    expect(bad.map(describeImport), 'the domain is pure: time, ids and data come in as arguments').toEqual([]);
  });

  it('src/services and src/tools never import a chat surface (src/bot)', async () => {
    const bad = (await load()).filter((i) => /^src\/(services|tools)\//.test(i.from) && i.target?.startsWith('src/bot/'));
    expect(bad.map(describeImport), 'services and tools are what the chat surfaces call; shared pieces live in src/services or src/format').toEqual([]);
  });

  it('src/services never imports the CLI', async () => {
    const bad = (await load()).filter((i) => i.from.startsWith('src/services/') && i.target === 'src/cli.ts');
    expect(bad.map(describeImport), 'the CLI is a surface over the services, not something they depend on').toEqual([]);
  });

  it('nothing in src, test or bench reads a path outside the repository (a fresh clone has nothing beside it)', async () => {
    const files = (await Promise.all(['src', 'test', 'bench'].map((d) => sourceFiles(join(ROOT, d))))).flat();
    const escaping: string[] = [];
    let seen = 0;
    for (const file of files) {
      const code = await readFile(file, 'utf8');
      for (const m of code.matchAll(/\b(?:join|resolve)\(\s*import\.meta\.dirname((?:\s*,\s*'[^']*')+)\s*\)/g)) {
        seen++;
        const parts = [...m[1]!.matchAll(/'([^']*)'/g)].map((p) => p[1]!);
        const target = resolve(dirname(file), ...parts);
        if (relative(ROOT, target).startsWith('..')) escaping.push(`${relative(ROOT, file)}: ${parts.join('/')}`);
      }
    }
    expect(seen, 'the scanner must find the tests\' file paths (docs/seeds, docs/seed-map.json)').toBeGreaterThan(3);
    expect(escaping, 'tests read what the repository holds, e.g. the seed documents in docs/seeds').toEqual([]);
  });
});

