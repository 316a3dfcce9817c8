// Long-running surfaces register their CLI commands here (chat, mcp, serve, data, discord).
import type { Command } from './cli.js';
import { runStdio } from './mcp/stdio.js';

export function registerSurfaceCommands(register: (name: string, cmd: Command) => void): void {
  register('mcp', async (app) => {
    await runStdio(app);
    return 0;
  });
}
