// Symbol autocomplete from the market catalog: what the person typed matched against symbols and
// base assets — prefixes first, then anything containing it, then near misses ("SOLANA" → SOL).
import type { AutocompleteInteraction } from 'discord.js';
import { suggestMarkets } from '../../domain/market.js';
import type { MarketInfo } from '../../domain/ports.js';
import type { DiscordDeps } from './context.js';

/** Discord shows at most 25 choices. */
export const MAX_CHOICES = 25;

export function symbolChoices(typed: string, markets: readonly MarketInfo[], limit = MAX_CHOICES): Array<{ name: string; value: string }> {
  const q = typed.trim().toUpperCase().replace(/[^A-Z0-9/-]/g, '').slice(0, 40);
  const compact = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const cq = compact(q);
  const picked: string[] = [];
  const add = (symbol: string): void => {
    if (picked.length < limit && !picked.includes(symbol)) picked.push(symbol);
  };
  if (cq === '') {
    for (const m of markets) add(m.symbol);
  } else {
    for (const m of markets) if (m.base.toUpperCase().startsWith(cq) || compact(m.symbol).startsWith(cq)) add(m.symbol);
    for (const m of markets) if (compact(m.symbol).includes(cq)) add(m.symbol);
    // A name that starts with a ticker ("SOLANA", "BITCOIN" does not, "ETHEREUM" does).
    for (const m of markets) if (m.base.length >= 3 && cq.startsWith(m.base.toUpperCase())) add(m.symbol);
    for (const s of suggestMarkets(q, markets, limit)) add(s);
  }
  const bySymbol = new Map(markets.map((m) => [m.symbol, m]));
  return picked.map((symbol) => {
    const m = bySymbol.get(symbol);
    return { name: m ? `${symbol} · ${m.kind === 'perp' ? 'perpetual' : 'spot'}` : symbol, value: symbol };
  });
}

export async function answerAutocomplete(interaction: AutocompleteInteraction, deps: Pick<DiscordDeps, 'markets'>): Promise<void> {
  const focused = interaction.options.getFocused(true);
  if (focused.name !== 'symbol') {
    await interaction.respond([]);
    return;
  }
  await interaction.respond(symbolChoices(String(focused.value), deps.markets()));
}
