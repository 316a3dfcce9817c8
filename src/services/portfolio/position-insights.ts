// What the two SQL views add to a portfolio's read tools (drizzle/0001_views.sql):
// `active_positions_view` — for each open position, the watched wallet whose move opened it (a
// whale-following entry records `signal_wallet_id`), that wallet's latest 4 h credibility and the
// latest market bias of the position's base asset; `daily_performance` — closed positions per UTC day
// (count, win rate, realised P&L, best and worst, average holding time). Both views are
// `security_invoker`, so they are read inside the acting user's row-level-security scope.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { withActingUser } from '../../db/rls.js';
import { shortAddress } from '../../domain/wallets/address.js';

/** One open position's whale and bias context. */
export interface PositionInsight {
  positionId: string;
  symbol: string;
  /** The wallet whose move opened the position, with the user's own label if they watch it. */
  signalWallet: { id: string; shortAddress: string; label: string | null } | null;
  /** That wallet's latest 4 h credibility, 0–10. */
  walletCredibility4h: number | null;
  /** Latest market bias of the position's base asset, −1 (bearish) … 1 (bullish). */
  currentBias: number | null;
}

/** Closed positions of one UTC day. Money as decimal strings; P&L is realised, before fees and funding. */
export interface DailyPerformanceRow {
  date: string;
  trades: number;
  /** 0–1. */
  winRate: number | null;
  totalPnl: string;
  bestTrade: string | null;
  worstTrade: string | null;
  averageHoldingSeconds: number | null;
}

const toNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The open positions of `portfolioId` that have a whale or a bias to tell, in opening order. */
export async function openPositionInsights(db: Db, userId: string, portfolioId: string): Promise<PositionInsight[]> {
  const rows = await withActingUser(db, userId, (tx) =>
    queryRows<{ id: string; symbol: string; wallet_id: string | null; address: string | null; label: string | null; credibility: unknown; bias: unknown }>(
      tx,
      sql`select v.id, v.symbol, v.signal_wallet_id as wallet_id, v.signal_wallet as address, ww.label,
                 v.wallet_credibility::text as credibility, v.current_bias::text as bias
          from active_positions_view v
          left join wallet_watches ww on ww.wallet_id = v.signal_wallet_id and ww.user_id = ${userId}
          where v.portfolio_id = ${portfolioId} and v.user_id = ${userId}
            and (v.signal_wallet_id is not null or v.current_bias is not null)
          order by v.opened_at, v.id
          limit 500`,
    ),
  );
  return rows.map((r) => ({
    positionId: r.id,
    symbol: r.symbol,
    signalWallet: r.wallet_id && r.address ? { id: r.wallet_id, shortAddress: shortAddress(r.address), label: r.label } : null,
    walletCredibility4h: toNumber(r.credibility),
    currentBias: toNumber(r.bias),
  }));
}

/** Closed positions of `portfolioId` per UTC day, from the day of `from` on, oldest first. */
export async function dailyClosedPerformance(db: Db, userId: string, portfolioId: string, from: Date): Promise<DailyPerformanceRow[]> {
  const rows = await withActingUser(db, userId, (tx) =>
    queryRows<{ date: unknown; trades: unknown; win_rate: unknown; total_pnl: string | null; best: string | null; worst: string | null; holding: unknown }>(
      tx,
      sql`select d.date::text as date, d.total_trades::text as trades, d.win_rate, d.total_pnl::text as total_pnl,
                 d.best_trade::text as best, d.worst_trade::text as worst,
                 extract(epoch from d.avg_holding_time)::double precision as holding
          from daily_performance d
          where d.portfolio_id = ${portfolioId} and d.user_id = ${userId}
            and d.date >= (${from.toISOString()}::timestamptz at time zone 'UTC')::date
          order by d.date
          limit 400`,
    ),
  );
  return rows.map((r) => ({
    date: String(r.date),
    trades: Number(r.trades),
    winRate: toNumber(r.win_rate),
    totalPnl: r.total_pnl ?? '0',
    bestTrade: r.best,
    worstTrade: r.worst,
    averageHoldingSeconds: toNumber(r.holding),
  }));
}
