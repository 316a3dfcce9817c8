import { z } from 'zod';
import { defineTool, untrusted } from '../../mcp/tool.js';
import { textField } from '../../services/trading/input.js';

export const alertRuleOutput = {
  id: z.string().describe('Alert id'),
  title: z.string().describe('Title (user-written)'),
  description: z.string().describe('The condition in words'),
  mode: z.string().describe('once or repeat'),
  status: z.string().describe('active, triggered, paused or deleted'),
};

export const createAlert = defineTool({
  name: 'create-alert',
  title: 'Create alert',
  description:
    'Creates a server-side alert that pushes to your chats when it fires: price above/below, percent move over a window, RSI over/under, MACD cross, Bollinger band touch, a whale move (a wallet with credibility ≥ N buys/sells ≥ $X of an asset within M minutes), or "all" of several (combined). ' +
    'It fires once per crossing. Examples: {"condition":{"type":"price_above","symbol":"BTC/USDT","price":"70000"}}; ' +
    '{"title":"SOL dip","condition":{"type":"all","conditions":[{"type":"price_below","symbol":"SOL/USDT","price":"140"},{"type":"rsi_below","symbol":"SOL/USDT","timeframe":"1h","period":14,"value":30}]},"mode":"repeat","cooldownMinutes":60}; ' +
    '{"condition":{"type":"whale_move","asset":"ETH","side":"buy","minNotionalUsd":"1000000","minCredibility":7,"window":"4h","withinMinutes":60}} (side buy|sell|either, window 1h|4h|24h; a new whale move fires a repeat alert again).',
  permission: 'write:alerts',
  input: {
    title: textField('title', 100).optional().describe('Your name for the alert (plain text, one line)'),
    condition: z.record(z.unknown()).describe('Condition tree: {"type": price_above|price_below|percent_move|rsi_above|rsi_below|macd_cross|band_touch|whale_move|all, …fields}'),
    mode: z.enum(['once', 'repeat']).default('once').describe('once (default) or repeat'),
    cooldownMinutes: z.number().int().min(0).max(10_080).optional().describe('For repeat: minutes to wait between firings'),
  },
  output: alertRuleOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.alerts.createAlert(ctx.actor, args);
    return { text: `Alert ${untrusted('alert title', r.title)} is active: ${r.description} (${r.mode}${r.mode === 'repeat' ? `, cooldown ${r.cooldownMinutes} min` : ''}). id ${r.id}`, data: r };
  },
});
