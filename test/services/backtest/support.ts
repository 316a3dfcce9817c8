// A backtest service on a fresh test database and a seeded simulated market, with one trader (alice),
// for the backtest tests that need nothing more.
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Database } from '../../../src/db/client.js';
import type { Actor } from '../../../src/services/actor.js';
import { BacktestService } from '../../../src/services/backtest/backtest-service.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import { createTestDatabase } from '../../support/db.js';
import { idleTimers, newActor, simMarketService, type ManualClock } from '../market/support.js';

export interface BacktestHarness {
  database: Database;
  market: MarketService;
  service: BacktestService;
  alice: Actor;
  close(): Promise<void>;
}

export async function backtestHarness(seed: number, clock: ManualClock): Promise<BacktestHarness> {
  const database = await createTestDatabase();
  const sim = new SimMarket({ seed, clock, timers: idleTimers });
  const { market } = await simMarketService(database, clock, { sources: simSources({ seed, clock, sim }) });
  const service = new BacktestService({ db: database.db, market, clock });
  const alice = await newActor(database, 'alice');
  return {
    database, market, service, alice,
    close: async () => {
      await market.close();
      await database.close();
    },
  };
}
