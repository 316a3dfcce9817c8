// get-market-bias (issue 13): how the watched whales' recent moves lean on one asset, per timeframe,
// computed now from the stored events, analyses and scores (bias-service.ts; nothing is written).
// Contributors a person watches are named by their own label, others by short address.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { BIAS_TIMEFRAMES, formatBias } from '../../domain/wallets/bias.js';
import type { BiasContributorView, BiasView } from '../../services/wallets/bias-service.js';
import { cleanLabel } from '../../services/wallets/format.js';

const plural = (n: number, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

function who(c: BiasContributorView): string {
  return c.label ? `${cleanLabel(c.label)} (${c.shortAddress})` : c.shortAddress;
}

function contributorText(c: BiasContributorView): string {
  const sign = c.contribution < 0 ? '-' : '+';
  const cred = c.unscored ? 'not scored yet' : `credibility ${c.credibility.toFixed(1)}/10`;
  return `${who(c)} ${sign}${Math.abs(c.contribution).toFixed(2)} over ${plural(c.events, 'event')}, ${cred}`;
}

/** The answer as a person reads it. */
export function formatMarketBias(asset: string, views: readonly BiasView[]): string {
  const longest = views.at(-1)?.timeframe ?? '24h';
  const active = views.filter((v) => v.samples.events + v.samples.neutralEvents > 0);
  if (active.length === 0) return `No whale events for ${asset} in the last ${longest}.`;
  const lines = [`${asset} whale bias (watched wallets' moves weighted by their track record):`];
  for (const v of views) {
    if (v.samples.events === 0) {
      lines.push(`• ${v.timeframe}: no directional whale events${v.samples.neutralEvents > 0 ? ` (${plural(v.samples.neutralEvents, 'neutral event')})` : ''}`);
      continue;
    }
    const neutral = v.samples.neutralEvents > 0 ? `, ${plural(v.samples.neutralEvents, 'neutral event')}` : '';
    lines.push(`• ${v.timeframe}: ${formatBias(v.value)}, confidence ${v.confidence.toFixed(2)} from ${plural(v.samples.events, 'event')} by ${plural(v.samples.wallets, 'wallet')}${neutral}`);
  }
  const top = [...views].reverse().find((v) => v.contributors.length > 0);
  if (top) lines.push(`Top contributors (${top.timeframe}): ${top.contributors.slice(0, 3).map(contributorText).join('; ')}`);
  lines.push('This is a statistic of past on-chain moves, not advice.');
  return lines.join('\n');
}

export const getMarketBias = defineTool({
  name: 'get-market-bias',
  title: 'Whale bias of an asset',
  description:
    'How the watched whales\' recent moves lean on an asset: per timeframe (1h, 4h, 24h) a bias from -1 (bearish) to +1 (bullish), weighted by each wallet\'s credibility at the time of its move, the analysis confidence and the move\'s size; ' +
    'with a confidence, the number of events and wallets, and the top contributors. A statistic, not advice. Example: {"symbol":"ETH","timeframe":"4h"}.',
  permission: 'read:market',
  input: {
    symbol: z
      .string()
      .trim()
      .min(1, 'name the asset, e.g. ETH, or a market such as ETH/USDT')
      .max(40, 'symbol is at most 40 characters')
      .refine((s) => !/\p{Cc}/u.test(s), 'symbol must be an asset such as ETH (no control characters)')
      .describe('The asset (ETH, WBTC counts as BTC) or a market such as ETH/USDT or ETH-PERP'),
    timeframe: z
      .enum(['1h', '4h', '24h'], { errorMap: () => ({ message: 'timeframe must be 1h, 4h or 24h' }) })
      .optional()
      .describe('1h, 4h or 24h; all three when left out'),
  },
  output: {
    asset: z.string().describe('The asset the bias is about'),
    biases: z
      .array(
        z
          .object({
            timeframe: z.string().describe('1h, 4h or 24h'),
            value: z.number().describe('-1 (bearish) … +1 (bullish)'),
            direction: z.string().describe('bullish, bearish or neutral'),
            confidence: z.number().describe('0–1, from the total weight and how much the events agree'),
            events: z.number().describe('Directional events counted'),
            wallets: z.number().describe('Wallets behind them'),
          })
          .passthrough(),
      )
      .describe('One entry per timeframe'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const timeframes = args.timeframe ? [args.timeframe] : BIAS_TIMEFRAMES;
    const views = await ctx.services.walletBias.forUser(ctx.actor, args.symbol, timeframes);
    const asset = views[0]?.asset ?? args.symbol.toUpperCase();
    return {
      text: formatMarketBias(asset, views),
      data: {
        asset,
        biases: views.map((v) => ({
          timeframe: v.timeframe,
          at: v.at.toISOString(),
          value: v.value,
          direction: v.direction,
          confidence: v.confidence,
          events: v.samples.events,
          neutralEvents: v.samples.neutralEvents,
          wallets: v.samples.wallets,
          unscoredEvents: v.samples.unscoredEvents,
          contributors: v.contributors.map((c) => ({
            chain: c.chain,
            address: c.address,
            label: c.label,
            events: c.events,
            weight: c.weight,
            contribution: c.contribution,
            credibility: c.unscored ? null : c.credibility,
          })),
        })),
      },
    };
  },
});
