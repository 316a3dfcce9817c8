#!/usr/bin/env node
// The `mikey` command. Runs the compiled JavaScript in dist/ when it is present and current (built
// by `npm install` through npm's `prepare`, or `npm run build`); otherwise — a clone where the build
// has not run, or sources edited since — runs the TypeScript sources through tsx's loader, slower
// to start but the same program.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distState } from './dist-state.js';

const root = join(import.meta.dirname, '..');
let run;
if (distState(root).current) {
  // The bundle of dist/ (bin/bundle.js) when the build made one; the compiled modules otherwise.
  const bundled = join(root, 'dist', 'bundle', 'cli-entry.js');
  ({ run } = await import(existsSync(bundled) ? pathToFileURL(bundled).href : '../dist/cli-entry.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ run } = await import('../src/cli-entry.ts'));
}
await run(process.argv.slice(2));
