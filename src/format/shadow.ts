// A live portfolio against its paper shadow, as people read it: the headline figures, then one row
// per live order beside its shadow twin. Shared by the get-shadow tool, chat and `mikey portfolio shadow`.
import type { ShadowReport } from '../services/trading/shadow.js';
import { renderTable } from './table.js';

export function renderShadow(name: string, r: ShadowReport): string {
  const t = r.totals;
  const head =
    `🔴 LIVE "${name}" against its 📝 paper shadow, last ${t.orders} order${t.orders === 1 ? '' : 's'}: ` +
    `average slippage ${t.averageSlippageBps ?? 'n/a'} bps (positive: live paid more) · fees ${t.liveFees} live vs ${t.shadowFees} paper · ` +
    `${t.missedOrPartial} missed or partial fill${t.missedOrPartial === 1 ? '' : 's'}`;
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
