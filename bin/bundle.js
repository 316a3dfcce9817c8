// The last step of the build (bin/build.js): bundles the compiled dist/ into dist/bundle/, which
// bin/mikey.js runs when it is there. Node loads ES modules one file at a time — resolving, reading
// and compiling each — and `mikey mcp` loaded about 600 of them (MIKEY's own 320, drizzle-orm's 108,
// zod's 84, …) before its first tool call: that, not the work, was most of its start. Bundled, the
// same code is a few dozen chunks.
//
// - Entry points: the CLI (cli-entry) and the two modules started as worker threads (the embedded
//   database's thread and the sweep worker), so `startModuleWorker(import.meta.url, name)` finds
//   `<name>.js` beside the chunk that asks for it.
// - Code splitting keeps every dynamic `import()` a chunk of its own, so a command still loads only
//   what it uses (`mikey help` loads no database, chat or exchange code).
// - Every chunk sits one folder below dist/, as the compiled modules that read files next to
//   themselves do (dist/db/, dist/mcp/), so their `new URL('../…', import.meta.url)` paths (the
//   migrations, the schema snapshot, the MCP handshake record) mean the same file.
// - Only ES-module packages of many small files are bundled (BUNDLED); every other package stays an
//   ordinary import, loaded by Node as before (CommonJS packages, native parts, the big clients
//   that load only where used).
import { build } from 'esbuild';
import { join } from 'node:path';

export const BUNDLE_DIR = 'bundle';
/** Compiled modules bundled as entry points, by the name they are started under. */
const ENTRIES = { 'cli-entry': 'cli-entry.js', 'pglite-thread': 'db/pglite-thread.js', 'sweep-worker': 'services/backtest/sweep-worker.js' };
/** Packages whose code goes into the bundle. */
const BUNDLED = new Set(['zod', 'zod-to-json-schema', 'drizzle-orm', '@modelcontextprotocol/sdk']);

const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Bundles `dist` (a compiled tree) into `dist`/bundle. */
export async function bundleDist(dist) {
  const entryPoints = Object.entries(ENTRIES).map(([out, file]) => ({ in: join(dist, file), out }));
  await build({
    entryPoints,
    outdir: join(dist, BUNDLE_DIR),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [
      {
        name: 'mikey-externals',
        setup(b) {
          // A bare specifier (a package or a Node built-in) stays an import unless its package is bundled.
          b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED.has(packageOf(args.path)) ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
}
