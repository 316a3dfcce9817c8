import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getRiskLimitsShape } from '../../services/risk/schemas.js';
import { tableBlock } from '../format.js';

export const limitsOutput = {
  portfolioId: z.string().nullable().describe('Portfolio the limits apply to (null = all of yours)'),
  limits: z.array(z.object({ type: z.string(), value: z.string().nullable() }).passthrough()).describe('Active limits'),
};

export const getRiskLimits = defineTool({
  name: 'get-risk-limits',
  title: 'Get risk limits',
  description: 'Your risk limits (daily loss, position size, per-symbol notional, leverage, max open positions, symbol allow/deny lists) checked before every order. Example: {}.',
  permission: 'read:portfolio',
  input: getRiskLimitsShape,
  output: limitsOutput,
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.risk.getRiskLimits(ctx.actor, args);
    const text = r.limits.length
      ? tableBlock(['limit', 'value', 'symbol', 'scope'], r.limits.map((l) => [l.type, l.value ?? l.symbols?.join(',') ?? '—', l.symbol ?? '', l.scope]))
      : 'No risk limits set. Set one with set-risk-limit, e.g. a daily loss limit.';
    return { text, data: r as never };
  },
});
