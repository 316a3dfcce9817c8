// The command menu Telegram shows next to the text box. Private chats get every command; groups get
// the public ones plus /portfolio (answered by DM) so nobody is invited to post private data there;
// /leaderboard and /competition are a group's own (rankings in percentages, competitions).
import type { Telegram } from 'telegraf';
import type { BotCommand } from 'telegraf/types';

export const TELEGRAM_COMMANDS: readonly BotCommand[] = Object.freeze([
  { command: 'price', description: 'Price of a market — /price SOL' },
  { command: 'analysis', description: 'Technical analysis — /analysis ETH 4h' },
  { command: 'chart', description: 'Candle chart — /chart BTC 1h' },
  { command: 'buy', description: 'Buy (you confirm a trade card) — /buy 0.5 ETH' },
  { command: 'sell', description: 'Sell (you confirm a trade card) — /sell 1 SOL at 200' },
  { command: 'portfolio', description: 'Balances, equity and P&L' },
  { command: 'positions', description: 'Open positions' },
  { command: 'orders', description: 'Open orders' },
  { command: 'alerts', description: 'Your alerts' },
  { command: 'report', description: 'Your latest report' },
  { command: 'leaderboard', description: "This group's leaderboard — /leaderboard 7d, /leaderboard join" },
  { command: 'competition', description: 'Paper competition standings — /competition join' },
  { command: 'help', description: 'What MIKEY can do' },
  { command: 'link', description: 'Link this account — /link CODE' },
]);

const GROUP_COMMANDS = new Set(['price', 'analysis', 'chart', 'portfolio', 'leaderboard', 'competition', 'help']);

export async function registerTelegramCommands(telegram: Telegram): Promise<void> {
  await telegram.setMyCommands([...TELEGRAM_COMMANDS], { scope: { type: 'all_private_chats' } });
  await telegram.setMyCommands(TELEGRAM_COMMANDS.filter((c) => GROUP_COMMANDS.has(c.command)), { scope: { type: 'all_group_chats' } });
  await telegram.setMyCommands([...TELEGRAM_COMMANDS]);
}
