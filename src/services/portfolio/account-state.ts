// One read of everything a pre-trade check, a valuation or a risk metric needs about one account:
// the portfolio row, the owner's user-level kill switch, balances, open positions, active risk
// limits, open-order count and the lifetime totals of closed positions — in a single round trip.
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import type { Portfolio } from '../../db/schema/index.js';
import type { Balances } from '../../domain/ledger.js';
import { dec, ZERO, type Dec } from '../../domain/money.js';
import type { PositionRow } from '../trading/rows.js';
import { camelRow, positionFromJson, POSITION_NUMERIC_COLUMNS } from '../trading/rows.js';

export interface RiskLimitRow {
  id: string;
  userId: string;
  portfolioId: string | null;
  limitType: string;
  symbol: string | null;
  value: string | null;
  valueText: string | null;
}

export interface UserHalt {
  halted: boolean;
  reason?: string;
  at?: string;
}

export interface AccountState {
  portfolio: Portfolio;
  userHalt: UserHalt;
  balances: Balances;
  positions: PositionRow[];
  limits: RiskLimitRow[];
  openOrders: number;
  closedTotals: { realizedPnl: Dec; fees: Dec; fundingPaid: Dec; count: number };
}

interface RawState {
  prefs: Record<string, unknown> | null;
  balances_json: Array<{ asset: string; free: string; locked: string }>;
  positions_json: Array<Record<string, unknown>>;
  limits_json: RiskLimitRow[];
  open_orders?: number | string;
  closed_json?: { realized: string | null; fees: string | null; funding: string | null; n: number | string };
}

const POSITION_COLUMNS = [
  'id', 'user_id', 'portfolio_id', 'symbol', 'exchange', 'kind', 'side', 'status', 'take_profits', 'signal_wallet_id', 'opened_at', 'closed_at',
  'holding_seconds', 'updated_at',
];

/** `json_build_object` of a positions row: every column, numerics as text. */
const POSITION_JSON = `json_build_object(${[
  ...POSITION_COLUMNS.map((c) => `'${c}', x.${c}`),
  ...POSITION_NUMERIC_COLUMNS.map((c) => `'${c}', x.${c}::text`),
].join(', ')})`;

/**
 * Loads the state of portfolio `portfolioId` if `userId` owns it; undefined otherwise. `totals`
 * (closed-position sums and the open-order count) are only needed for valuations and can be skipped
 * on the order path.
 */
export async function loadAccountState(ex: Executor, userId: string, portfolioId: string, opts: { totals?: boolean } = {}): Promise<AccountState | undefined> {
  const totals = opts.totals ?? true;
  const rows = await queryRows<RawState & Record<string, unknown>>(
    ex,
    sql`select p.*, u.trading_preferences as prefs,
      (select coalesce(json_agg(json_build_object('asset', b.asset, 'free', b.free::text, 'locked', b.locked::text)), '[]'::json)
         from balances b where b.portfolio_id = p.id) as balances_json,
      (select coalesce(json_agg(${sql.raw(POSITION_JSON)} order by x.opened_at), '[]'::json)
         from positions x where x.portfolio_id = p.id and x.status = 'open') as positions_json,
      (select coalesce(json_agg(json_build_object('id', l.id, 'userId', l.user_id, 'portfolioId', l.portfolio_id, 'limitType', l.limit_type,
                 'symbol', l.symbol, 'value', l.value::text, 'valueText', l.value_text) order by l.created_at), '[]'::json)
         from risk_limits l where l.user_id = p.user_id and l.is_active and (l.portfolio_id is null or l.portfolio_id = p.id)) as limits_json
      ${totals
        ? sql`, (select count(*) from orders o where o.portfolio_id = p.id and o.status in ('pending', 'open', 'partially_filled')) as open_orders,
      (select json_build_object('realized', sum(c.realized_pnl)::text, 'fees', sum(c.fees_paid)::text, 'funding', sum(c.funding_paid)::text, 'n', count(*))
         from positions c where c.portfolio_id = p.id and c.status <> 'open') as closed_json`
        : sql``}
    from portfolios p join users u on u.id = p.user_id where p.id = ${portfolioId}::uuid and p.user_id = ${userId}::uuid`,
  );
  const r = rows[0];
  if (!r) return undefined;
  const { prefs, balances_json, positions_json, limits_json, open_orders, closed_json, ...portfolio } = r;
  const balances: Record<string, { asset: string; free: Dec; locked: Dec }> = {};
  for (const b of balances_json) balances[b.asset] = { asset: b.asset, free: dec(b.free), locked: dec(b.locked) };
  const halt = (prefs?.killSwitch ?? undefined) as UserHalt | undefined;
  return {
    portfolio: camelRow(portfolio, ['haltedAt', 'createdAt', 'updatedAt']) as unknown as Portfolio,
    userHalt: halt?.halted ? halt : { halted: false },
    balances,
    positions: positions_json.map(positionFromJson),
    limits: limits_json,
    openOrders: Number(open_orders ?? 0),
    closedTotals: {
      realizedPnl: closed_json?.realized ? dec(closed_json.realized) : ZERO,
      fees: closed_json?.fees ? dec(closed_json.fees) : ZERO,
      fundingPaid: closed_json?.funding ? dec(closed_json.funding) : ZERO,
      count: Number(closed_json?.n ?? 0),
    },
  };
}
