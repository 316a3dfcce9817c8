// A live portfolio against its paper shadow, as people read it: the headline figures, then one row
// per live order beside its shadow twin. Shared by the get-shadow tool, chat, `mikey portfolio shadow`
// and the periodic report's "Live vs paper shadow" section (the same figures, in Markdown).
import { dec } from '../domain/money.js';
import type { ShadowReport } from '../services/trading/shadow.js';
import { renderTable } from './table.js';

type ShadowTotals = ShadowReport['totals'];

/** Each live portfolio's equity beside its shadow's, in the portfolio's base currency. */
export interface ShadowEquity {
  live: string;
  shadow: string;
  currency: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The figures of the comparison, each as a phrase; the headline and the report both say them so. */
function phrases(t: ShadowTotals): { orders: string; slippage: string; fees: string; missed: string } {
  return {
    orders: `last ${plural(t.orders, 'order')}`,
    slippage: `average slippage ${t.averageSlippageBps ?? 'n/a'} bps (positive: live paid more)`,
    fees: `fees ${t.liveFees} live vs ${t.shadowFees} paper${t.feeCurrency ? ` ${t.feeCurrency}` : ''}${t.unvaluedLiveFees.length > 0 ? ` (and ${t.unvaluedLiveFees.join(', ')} live)` : ''}`,
    missed: plural(t.missedOrPartial, 'missed or partial fill'),
  };
}

/** "1,234.50 live vs 1,240.00 paper: -5.50 USDT" (live minus paper). */
function equityPhrase(e: ShadowEquity): string {
  const live = dec(e.live);
  const shadow = dec(e.shadow);
  return `${live.toFixed(2)} live vs ${shadow.toFixed(2)} paper: ${live.sub(shadow).toFixed(2)} ${e.currency}`;
}

export function renderShadow(name: string, r: ShadowReport): string {
  const f = phrases(r.totals);
  const head = `🔴 LIVE "${name}" against its 📝 paper shadow, ${f.orders}: ${f.slippage} · ${f.fees} · ${f.missed}`;
  if (r.pairs.length === 0) return `${head}\nNo live orders yet.`;
  const table = renderTable(
    ['order', 'market', 'side', 'qty', 'live', 'paper', 'slip bps', 'fee diff'],
    r.pairs.map((x) => [
      x.liveOrderId.slice(0, 8),
      x.symbol,
      x.side,
      x.quantity,
      `${x.live.filled} @ ${x.live.averagePrice ?? '-'}`,
      x.shadow ? `${x.shadow.filled} @ ${x.shadow.averagePrice ?? '-'}` : 'not mirrored',
      x.slippageBps ?? '-',
      x.feeDifference ?? '-',
    ]),
  );
  return `${head}\n${table}`;
}

/**
 * The comparison as Markdown lines for a report: a line naming the live portfolio, then one bullet
 * per figure (slippage, fees, missed or partial fills, and the equity difference when given).
 */
export function renderShadowMarkdown(name: string, totals: ShadowTotals, equity?: ShadowEquity): string[] {
  const f = phrases(totals);
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  return [
    `**🔴 LIVE "${name}"** against its 📝 paper shadow, ${f.orders}:`,
    `- ${cap(f.slippage)}`,
    `- ${cap(f.fees)}`,
    `- ${cap(f.missed)}`,
    ...(equity ? [`- Equity ${equityPhrase(equity)}`] : []),
  ];
}
