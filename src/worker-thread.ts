// Starting a worker thread on one of MIKEY's own modules, whether MIKEY runs compiled (dist/, the
// worker is the `.js` file beside the caller) or from its TypeScript sources (tsx, vitest: tsx's
// loader is registered inside the worker first, then the `.ts` file is loaded).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** tsx's ES-module API file (its CommonJS twin cannot register the loader in a worker). */
function tsxEsmApiPath(from: string): string {
  const require = createRequire(from);
  const manifest = require('tsx/package.json') as { exports: Record<string, { import?: { default?: string } }> };
  const file = manifest.exports['./esm/api']?.import?.default;
  if (file === undefined) throw new Error('tsx has no ES-module API (tsx/esm/api); install tsx 4 or run the compiled dist/');
  return join(dirname(require.resolve('tsx/package.json')), file);
}

/**
 * Starts `<name>.js` (or `<name>.ts` from the sources) in the folder of the module whose
 * `import.meta.url` is `from`, as a worker thread.
 */
export function startModuleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const tsxApi = pathToFileURL(tsxEsmApiPath(from)).href;
  const workerFile = new URL(`./${name}.ts`, from).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerFile)}); }).catch((err) => { throw err; });`;
  return new Worker(boot, { ...options, eval: true });
}
