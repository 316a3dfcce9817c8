// Option builders and checks shared by the slash commands. Discord validates types; MIKEY still
// checks every value (reliability 20): symbols and amounts are strings at the edge, bounded and
// shape-checked before they reach the handler, and a malformed one gets a clear ephemeral answer.
import type { ChatInputCommandInteraction, SlashCommandStringOption } from 'discord.js';
import { MAX_SYMBOL_LENGTH } from '../../../domain/market.js';
import { Timeframe } from '../../../domain/ports.js';

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9/_.-]*$/;
const AMOUNT = /^\$?(?:\d{1,15}(?:\.\d{1,18})?|\.\d{1,18})$/;

export const symbolOption = (o: SlashCommandStringOption): SlashCommandStringOption =>
  o.setName('symbol').setDescription('Market, e.g. SOL, BTC/USDT or ETH-PERP').setRequired(true).setMaxLength(MAX_SYMBOL_LENGTH).setAutocomplete(true);

export const timeframeOption = (o: SlashCommandStringOption): SlashCommandStringOption =>
  o
    .setName('timeframe')
    .setDescription('Candle timeframe (default 1h)')
    .setRequired(false)
    .addChoices(...Object.values(Timeframe).map((tf) => ({ name: tf, value: tf })));

export type Checked = string | { error: string };

export function checkSymbol(raw: string): Checked {
  const s = raw.trim();
  if (s === '' || s.length > MAX_SYMBOL_LENGTH || !SYMBOL.test(s)) {
    return { error: `"${s.slice(0, MAX_SYMBOL_LENGTH)}" is not a market symbol. Try SOL, BTC/USDT or ETH-PERP (the list appears as you type).` };
  }
  return s.toUpperCase();
}

/** A positive amount, optionally in dollars ("$100"). */
export function checkAmount(raw: string, what: string): Checked {
  const s = raw.trim().replace(/,/g, '');
  if (!AMOUNT.test(s) || Number(s.replace('$', '')) <= 0) return { error: `${what} must be a positive number like 0.5 or $100 (got "${raw.slice(0, 30)}").` };
  return s;
}

/** A positive price in the quote currency (a plain number). */
export function checkPrice(raw: string): Checked {
  const s = raw.trim().replace(/,/g, '');
  if (s.startsWith('$')) return { error: 'Prices are plain numbers in the quote currency, e.g. 140.5 (no $).' };
  return checkAmount(s, 'Price');
}

export function checkTimeframe(raw: string | null): Checked {
  if (raw === null) return '';
  return (Object.values(Timeframe) as string[]).includes(raw) ? raw : { error: `Unknown timeframe "${raw.slice(0, 10)}".` };
}

/** "/price SOL" style text from a command name and its checked arguments. */
export function commandText(name: string, ...args: Checked[]): Checked {
  for (const a of args) if (typeof a !== 'string') return a;
  return [`/${name}`, ...(args as string[]).filter((a) => a !== '')].join(' ');
}

export function symbolArg(interaction: ChatInputCommandInteraction): Checked {
  return checkSymbol(interaction.options.getString('symbol', true));
}
