// What a CLI command is, shared by the command table (src/cli.ts) and the modules that contribute
// commands (src/surfaces.ts, the market-data backfill), so neither imports the other.
import type { App } from './app.js';

/** Where a command writes: `log` for its answer, `error` for what went wrong. */
export interface Out {
  log(s: string): void;
  error(s: string): void;
}

export type Command = (app: App, args: string[], out: Out) => Promise<number>;

/** A command line the user got wrong: printed with a pointer to `mikey help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
