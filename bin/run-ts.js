#!/usr/bin/env node
// Runs one TypeScript entry file (benchmarks, scripts) through tsx's loader.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
register();
const file = process.argv[2];
if (!file) {
  console.error('usage: run-ts.js <file.ts>');
  process.exit(2);
}
await import(pathToFileURL(resolve(file)).href);
