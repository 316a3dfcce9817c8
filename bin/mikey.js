#!/usr/bin/env node
// The `mikey` command. Runs the TypeScript sources through tsx's loader so that `npx mikey` works
// from a clone without a build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli.ts');
await main(process.argv.slice(2));
