// The input shapes the MCP tools take as their schemas: argument names exactly as docs/tools.md
// lists them, and a description on every field (the model reads them).
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import * as portfolio from '../../../src/services/portfolio/schemas.js';
import * as risk from '../../../src/services/risk/schemas.js';
import * as trading from '../../../src/services/trading/schemas.js';

const ORDER_ARGS = [
  'symbol', 'side', 'type', 'quantity', 'quoteQuantity', 'price', 'stopPrice', 'trailingAmount', 'trailingPercent', 'timeInForce', 'postOnly',
  'reduceOnly', 'leverage', 'stopLoss', 'takeProfits', 'durationMinutes', 'slices', 'clientOrderId', 'portfolioId',
];

const TOOLS: Array<[string, z.ZodRawShape, string[]]> = [
  ['preview-order', trading.previewOrderShape, ORDER_ARGS],
  ['place-order', trading.placeOrderShape, [...ORDER_ARGS, 'confirmationToken']],
  ['cancel-order', trading.cancelOrderShape, ['orderId']],
  ['amend-order', trading.amendOrderShape, ['orderId', 'price', 'quantity', 'stopPrice']],
  ['list-orders', trading.listOrdersShape, ['status', 'symbol', 'portfolioId', 'limit']],
  ['get-order', trading.getOrderShape, ['orderId']],
  ['close-position', trading.closePositionShape, ['symbol', 'positionId', 'fraction', 'portfolioId', 'confirmationToken']],
  ['close-all-positions', trading.closeAllPositionsShape, ['portfolioId', 'confirmationToken']],
  ['set-stop-loss', trading.setStopLossShape, ['symbol', 'positionId', 'price', 'portfolioId']],
  ['set-take-profits', trading.setTakeProfitsShape, ['symbol', 'positionId', 'targets', 'portfolioId']],
  ['explain-order', trading.explainOrderShape, ['orderId']],
  ['get-trades', trading.getTradesShape, ['symbol', 'since', 'limit', 'portfolioId']],
  ['get-portfolio', portfolio.getPortfolioShape, ['portfolioId']],
  ['get-balances', portfolio.getBalancesShape, ['portfolioId']],
  ['get-positions', portfolio.getPositionsShape, ['status', 'symbol', 'portfolioId']],
  ['get-performance', portfolio.getPerformanceShape, ['period', 'portfolioId']],
  ['list-portfolios', portfolio.listPortfoliosShape, []],
  ['create-paper-portfolio', portfolio.createPaperPortfolioShape, ['name', 'startingCash', 'baseCurrency', 'autoConfirm']],
  ['get-risk-limits', risk.getRiskLimitsShape, ['portfolioId']],
  ['set-risk-limit', risk.setRiskLimitShape, ['type', 'value', 'symbol', 'portfolioId']],
  ['get-risk-metrics', risk.getRiskMetricsShape, ['portfolioId']],
  ['halt-trading', risk.haltTradingShape, ['portfolioId', 'reason']],
  ['resume-trading', risk.resumeTradingShape, ['portfolioId']],
];

function described(t: z.ZodTypeAny): boolean {
  let cur: z.ZodTypeAny | undefined = t;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur.description) return true;
    cur = (cur._def as { innerType?: z.ZodTypeAny }).innerType;
  }
  return false;
}

describe('tool input shapes', () => {
  for (const [tool, shape, args] of TOOLS) {
    it(`${tool}: the arguments of docs/tools.md, each described`, () => {
      expect(Object.keys(shape).sort()).toEqual([...args].sort());
      for (const [name, field] of Object.entries(shape)) expect(described(field), `${tool}.${name} has a description`).toBe(true);
    });
  }

  it('applies the documented defaults', () => {
    expect(z.object(trading.previewOrderShape).parse({ symbol: 'BTC', side: 'buy', quantity: '1' }).type).toBe('market');
    expect(z.object(trading.listOrdersShape).parse({})).toEqual({ status: 'open', limit: 50 });
    expect(z.object(portfolio.getPerformanceShape).parse({}).period).toBe('week');
    expect(z.object(portfolio.createPaperPortfolioShape).parse({ name: 'x' })).toEqual({ name: 'x', startingCash: '10000', baseCurrency: 'USDT', autoConfirm: false });
  });
});
