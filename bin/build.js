#!/usr/bin/env node
// `npm run build` (also npm's `prepare`, so `npm install` and `npm ci` run it): compiles src/ to
// dist/ with tsconfig.build.json (emit only; `npm run typecheck` is the type check), dumps a
// migrated embedded database next to it (fresh data directories start from that instead of
// replaying every migration), records the MCP handshake for `mikey mcp` to answer before it loads
// (src/mcp/fast-front.ts), bundles dist/ into dist/bundle/ (bin/bundle.js: far fewer files for Node
// to load at start), and stamps the build so bin/mikey.js knows whether dist/ is current.
// Without TypeScript installed (a production-only install) it builds nothing: mikey then runs the
// sources through tsx.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { STAMP_FILE, newestMtime } from './dist-state.js';

const root = join(import.meta.dirname, '..');
// `--out-dir DIR` builds elsewhere (the start-up benchmark builds a private copy).
const outAt = process.argv.indexOf('--out-dir');
const dist = outAt > 0 && process.argv[outAt + 1] ? resolve(process.argv[outAt + 1]) : join(root, 'dist');
const started = performance.now();
// Taken before compiling: a source edited during the build leaves dist/ stale, never the reverse.
const sourcesNewestMs = newestMtime(join(root, 'src'));

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('mikey build: TypeScript is not installed (production install?); nothing built, mikey runs src/ through tsx.');
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`mikey build: tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal}); mikey runs src/ through tsx until it builds.`);
  process.exit(compiled.status ?? 1);
}

try {
  const { writeSchemaSnapshot } = await import(pathToFileURL(join(dist, 'db', 'snapshot.js')).href);
  await writeSchemaSnapshot(dist);
} catch (err) {
  // Not fatal: a fresh data directory then replays the migrations, as it did before snapshots.
  console.error(`mikey build: no schema snapshot (${err instanceof Error ? err.message : String(err)}); fresh data directories will replay the migrations.`);
}

try {
  const { writeHandshake } = await import(pathToFileURL(join(dist, 'mcp', 'handshake.js')).href);
  await writeHandshake(dist);
} catch (err) {
  // Not fatal: `mikey mcp` then answers the handshake once its modules are loaded, as it did before.
  console.error(`mikey build: no MCP handshake record (${err instanceof Error ? err.message : String(err)}); mikey mcp answers it after loading.`);
}

try {
  const { bundleDist } = await import('./bundle.js');
  await bundleDist(dist);
} catch (err) {
  // Not fatal: mikey then runs the compiled modules one file at a time, as it did before bundles.
  rmSync(join(dist, 'bundle'), { recursive: true, force: true });
  console.error(`mikey build: no bundle (${err instanceof Error ? err.message : String(err)}); mikey runs dist/ unbundled.`);
}

writeFileSync(join(dist, STAMP_FILE), JSON.stringify({ sourcesNewestMs, builtAt: new Date().toISOString() }) + '\n');
console.error(`mikey build: ${dist} ready in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
