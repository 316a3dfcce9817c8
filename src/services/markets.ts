// The market catalog: which instruments can be traded and their rounding rules, resolved from any
// spelling a person or a model uses. Backed by the `markets` table for the configured exchange; when
// the table has no rows for it, the domain's default market list is written to the table (exchange
// `sim`) at start-up and used, so orders always refer to markets that exist as rows.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { markets as marketsTable } from '../db/schema/index.js';
import { DEFAULT_MARKETS, SIM_EXCHANGE, resolveMarket, suggestMarkets, type Market } from '../domain/market.js';
import { dec, toPlain } from '../domain/money.js';
import type { MarketInfo } from '../domain/ports.js';
import { AppError, ErrorCode } from './errors.js';

export interface MarketCatalog {
  /** The canonical market for any accepted spelling; throws `invalid_input` "unknown symbol X; did you mean …". */
  resolve(symbol: string): Market;
  /** Exact or resolvable lookup without throwing. */
  find(symbol: string): Market | undefined;
  list(): readonly Market[];
  /** Staleness limit of a market's prices in ms, when the market row sets one. */
  stalenessLimitMs(symbol: string): number | undefined;
  /** Adds or updates markets (e.g. from an exchange's market list). */
  upsert?(infos: readonly MarketInfo[]): Promise<void>;
}

type MarketRow = typeof marketsTable.$inferSelect;

const DEFAULT_BY_SYMBOL = new Map(DEFAULT_MARKETS.map((m) => [m.symbol, m]));

function rowToMarket(r: MarketRow): Market {
  const known = DEFAULT_BY_SYMBOL.get(r.symbol);
  return {
    symbol: r.symbol,
    base: r.baseAsset,
    quote: r.quoteAsset,
    kind: r.kind,
    exchange: r.exchange,
    tickSize: dec(r.tickSize),
    stepSize: dec(r.stepSize),
    minQty: dec(r.minQty),
    ...(r.maxQty !== null ? { maxQty: dec(r.maxQty) } : {}),
    minNotional: dec(r.minNotional),
    ...(r.kind === 'perp' ? { maxLeverage: r.maxLeverage } : {}),
    ...(known?.maintenanceMarginRate ? { maintenanceMarginRate: known.maintenanceMarginRate } : {}),
  };
}

function marketToRow(m: MarketInfo): typeof marketsTable.$inferInsert {
  return {
    symbol: m.symbol,
    exchange: m.exchange,
    baseAsset: m.base,
    quoteAsset: m.quote,
    kind: m.kind,
    tickSize: toPlain(m.tickSize),
    stepSize: toPlain(m.stepSize),
    minQty: toPlain(m.minQty),
    maxQty: m.maxQty ? toPlain(m.maxQty) : null,
    minNotional: toPlain(m.minNotional),
    maxLeverage: m.kind === 'perp' ? Math.max(1, m.maxLeverage ?? 1) : 1,
  };
}

/** A catalog over a fixed list (tests, the simulated market). */
export class StaticMarketCatalog implements MarketCatalog {
  protected markets: readonly Market[];
  protected bySymbol: Map<string, Market>;
  protected staleness = new Map<string, number>();

  constructor(markets: readonly Market[] = DEFAULT_MARKETS) {
    this.markets = markets;
    this.bySymbol = new Map(markets.map((m) => [m.symbol.toUpperCase(), m]));
  }

  resolve(symbol: string): Market {
    const hit = this.bySymbol.get(symbol.trim().toUpperCase());
    if (hit) return hit;
    const r = resolveMarket(symbol, this.markets);
    if (r.ok) return this.bySymbol.get(r.value.symbol.toUpperCase()) ?? (r.value);
    const suggestions = (r.error.details?.suggestions as string[] | undefined) ?? suggestMarkets(symbol, this.markets);
    throw new AppError(
      ErrorCode.invalidInput,
      r.error.message,
      suggestions.length > 0 ? `use one of ${suggestions.join(', ')}` : 'search the markets (search-markets) for the right symbol',
      { symbol: symbol.slice(0, 40), suggestions },
    );
  }

  find(symbol: string): Market | undefined {
    try {
      return this.resolve(symbol);
    } catch {
      return undefined;
    }
  }

  list(): readonly Market[] {
    return this.markets;
  }

  stalenessLimitMs(symbol: string): number | undefined {
    return this.staleness.get(symbol.toUpperCase());
  }

  protected replace(markets: readonly Market[], staleness: Map<string, number>): void {
    this.markets = markets;
    this.bySymbol = new Map(markets.map((m) => [m.symbol.toUpperCase(), m]));
    this.staleness = staleness;
  }
}

/** The catalog backed by the `markets` table. */
export class DbMarketCatalog extends StaticMarketCatalog {
  private constructor(
    private readonly db: Db,
    readonly exchange: string,
  ) {
    super([]);
  }

  /**
   * Loads the active markets of `exchange`; when there are none, seeds the default markets (exchange
   * `sim`) into the table (idempotent) and serves those.
   */
  static async load(db: Db, opts: { exchange?: string } = {}): Promise<DbMarketCatalog> {
    const wanted = opts.exchange ?? SIM_EXCHANGE;
    const rows = await db.select().from(marketsTable).where(and(eq(marketsTable.exchange, wanted), eq(marketsTable.isActive, true)));
    if (rows.length > 0) {
      const c = new DbMarketCatalog(db, wanted);
      c.setRows(rows);
      return c;
    }
    await db.insert(marketsTable).values(DEFAULT_MARKETS.map(marketToRow)).onConflictDoNothing();
    const c = new DbMarketCatalog(db, SIM_EXCHANGE);
    await c.refresh();
    return c;
  }

  async refresh(): Promise<void> {
    const rows = await this.db
      .select()
      .from(marketsTable)
      .where(and(eq(marketsTable.exchange, this.exchange), eq(marketsTable.isActive, true)));
    this.setRows(rows);
  }

  async upsert(infos: readonly MarketInfo[]): Promise<void> {
    if (infos.length === 0) return;
    for (const m of infos) {
      const row = marketToRow(m);
      await this.db
        .insert(marketsTable)
        .values(row)
        .onConflictDoUpdate({
          target: [marketsTable.exchange, marketsTable.symbol],
          set: {
            baseAsset: row.baseAsset,
            quoteAsset: row.quoteAsset,
            kind: row.kind,
            tickSize: row.tickSize,
            stepSize: row.stepSize,
            minQty: row.minQty,
            maxQty: row.maxQty,
            minNotional: row.minNotional,
            maxLeverage: row.maxLeverage,
            isActive: true,
          },
        });
    }
    if (infos.some((m) => m.exchange === this.exchange)) await this.refresh();
  }

  private setRows(rows: MarketRow[]): void {
    const staleness = new Map<string, number>();
    for (const r of rows) if (r.stalenessThresholdSeconds) staleness.set(r.symbol.toUpperCase(), r.stalenessThresholdSeconds * 1000);
    this.replace(
      rows.map(rowToMarket).sort((a, b) => a.symbol.localeCompare(b.symbol)),
      staleness,
    );
  }
}

/** A catalog that always answers from `current()` (the market-data service swaps its catalog once the venue's markets are loaded). */
export function delegatingCatalog(current: () => MarketCatalog): MarketCatalog {
  return {
    resolve: (symbol) => current().resolve(symbol),
    find: (symbol) => current().find(symbol),
    list: () => current().list(),
    stalenessLimitMs: (symbol) => current().stalenessLimitMs(symbol),
    upsert: async (infos) => {
      await current().upsert?.(infos);
    },
  };
}
