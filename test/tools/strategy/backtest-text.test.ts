// The backtest's chart title names every strategy kind the way a person writes it.
import { describe, expect, it } from 'vitest';
import { STRATEGIES, type StrategyKind } from '../../../src/domain/strategy/index.js';
import { backtestChartTitle } from '../../../src/tools/strategy/backtest-strategy.js';

describe('backtest chart titles', () => {
  const title = (strategy: StrategyKind): string => backtestChartTitle({ strategy, symbol: 'BTC/USDT', timeframe: '1h', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' });

  it('read as words, not identifiers', () => {
    expect(title('mean_reversion')).toBe('Mean reversion BTC/USDT 1h · 2026-01-01 → 2026-02-01 vs buy & hold');
    expect(title('dca')).toMatch(/^DCA BTC\/USDT/);
    expect(title('sma_cross')).toMatch(/^SMA cross /);
    expect(title('liquidation_hunting')).toMatch(/^Liquidation hunting /);
    expect(title('prediction_following')).toMatch(/^Prediction following /);
    for (const kind of Object.keys(STRATEGIES) as StrategyKind[]) expect(title(kind)).not.toMatch(/_/);
  });
});
