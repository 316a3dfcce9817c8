// What bin/mikey.js runs. `mikey help` is answered here from a light module; every other command
// loads the CLI (src/cli.ts), which loads what that command needs and nothing more.
import { HELP, isHelpRequest } from './cli-help.js';

export async function run(argv: string[]): Promise<number> {
  if (isHelpRequest(argv)) {
    process.stdout.write(`${HELP}\n`);
    process.exitCode = 0;
    return 0;
  }
  const { main } = await import('./cli.js');
  return main(argv);
}
