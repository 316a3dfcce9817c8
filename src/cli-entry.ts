// What bin/mikey.js runs. `mikey help` is answered here from a light module; every other command
// loads the CLI (src/cli.ts), which loads what that command needs and nothing more; `mikey mcp` first
// puts the fast front (src/mcp/fast-front.ts) on its stdio; `mcp` and `chat` start opening the
// embedded database before the CLI loads.
import { homedir } from 'node:os';
import { HELP, isHelpRequest } from './cli-help.js';

export async function run(argv: string[]): Promise<number> {
  if (isHelpRequest(argv)) {
    process.stdout.write(`${HELP}\n`);
    process.exitCode = 0;
    return 0;
  }
  // Claude Desktop waits on `mikey mcp`'s handshake at every launch: answered from the build's
  // record before anything else loads.
  if (argv.length === 1 && argv[0] === 'mcp') {
    const { openFastFront } = await import('./mcp/fast-front.js');
    openFastFront();
  }
  // The embedded database opens while the rest of MIKEY loads (src/db/embedded.ts); the app claims it.
  if (argv[0] === 'mcp' || argv[0] === 'chat') {
    const { embeddedDataDir, startEarlyOpen } = await import('./db/embedded.js');
    const dataDir = embeddedDataDir(process.env, homedir());
    if (dataDir) startEarlyOpen(dataDir);
  }
  const { main } = await import('./cli.js');
  return main(argv);
}
