// `mikey chat` / `npm start`: MIKEY in the terminal for the local owner, on whatever the app is
// configured with (embedded database, paper portfolio, simulated market offline, offline
// understanding without a model key). Fills and alerts for the owner are printed as they happen.
import { join } from 'node:path';
import type { App } from '../../app.js';
import { modelEndpoint } from '../../config.js';
import { ensureLocalOwner } from '../../services/users.js';
import { createChatHandler } from '../agent/chat-handler.js';
import { personText } from '../person-text.js';
import { runTerminalChat } from './terminal-chat.js';

export interface ChatIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  pretty: boolean;
  /** For a terminal in another process (`mikey chat` through the holder's socket): it edits and echoes lines. */
  remote?: boolean;
}

export async function runChatCommand(app: App, io: ChatIo = {
  input: process.stdin,
  output: process.stdout,
  pretty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
}): Promise<void> {
  // A holder running the chat for another process has its background work under way already.
  if (!io.remote) await app.startBackground();
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const portfolio = await app.services.portfolio.ensureDefaultPortfolio(owner.id);
  const market = await app.services.market.ready();
  const handler = createChatHandler(app.config, app.services);
  const endpoint = modelEndpoint(app.config);
  const brain = !endpoint ? 'offline understanding (set ANTHROPIC_API_KEY, or ANTHROPIC_BASE_URL for a local model, to use a model)'
    : endpoint.local ? `local model ${app.config.MIKEY_MODEL} at ${new URL(endpoint.baseURL!).host}` : `model ${app.config.MIKEY_MODEL}`;
  const banner = [
    `MIKEY · ${owner.username} · ${portfolio.tradingMode.toUpperCase()} portfolio "${portfolio.name}" · market: ${market.simulated ? 'SIMULATED (offline)' : market.description} · ${brain}`,
    `Database: ${app.database.kind === 'pglite' ? `embedded (${app.database.location})` : app.database.location}`,
    'Try: "price sol", "buy $100 of SOL", "chart btc 1h", "how did I do this week?", "help". Type "exit" to leave.',
  ].join('\n');
  const off = app.services.events.on((e) => {
    if (e.userId !== owner.id) return;
    if (e.type === 'order.filled') io.output.write(`\n🔔 Filled: ${e.side} ${e.quantity} ${e.symbol} @ ${e.price} (${e.orderType})\n`);
    if (e.type === 'alert.triggered') io.output.write(`\n🔔 Alert: ${personText(e.title)} — ${personText(e.message)}\n`);
    if (e.type === 'risk.alert') io.output.write(`\n⚠️ Risk: ${personText(e.message)}\n`);
  });
  try {
    await runTerminalChat({
      handler,
      context: { platform: 'terminal', user: owner, chatId: 'terminal', isGroup: false },
      input: io.input as never,
      output: io.output as never,
      chartDir: join(app.config.dataDir, 'charts'),
      banner,
      pretty: io.pretty,
      ...(io.remote ? { lineEditing: false } : {}),
    });
  } finally {
    off();
    await handler.close();
  }
}
