// What a model call costs, in USD as a decimal string (never a float). Prices are per million
// tokens; prompt-cache writes (5-minute TTL, the only kind MIKEY asks for) cost 1.25× the input
// price and cache reads 0.1× — Anthropic's published multipliers. `input_tokens` in the API's usage
// already excludes the cached tokens, so the four counts are billed separately and summed.
import { D, type Dec } from '../../domain/money.js';

export interface ModelPrice {
  /** Matches model ids such as "claude-sonnet-4-5" or "claude-3-5-haiku-latest". */
  match: RegExp;
  family: string;
  /** USD per million input tokens. */
  input: string;
  /** USD per million output tokens. */
  output: string;
}

/** First match wins; keep the specific ids above the family fallbacks. */
export const MODEL_PRICES: readonly ModelPrice[] = [
  { match: /opus-4-[5-9]|opus-[5-9]/, family: 'opus-4.5+', input: '5', output: '25' },
  { match: /opus/, family: 'opus', input: '15', output: '75' },
  { match: /haiku-4|haiku-[5-9]/, family: 'haiku-4.5+', input: '1', output: '5' },
  { match: /3-5-haiku|haiku-3-5/, family: 'haiku-3.5', input: '0.8', output: '4' },
  { match: /haiku/, family: 'haiku-3', input: '0.25', output: '1.25' },
  { match: /sonnet/, family: 'sonnet', input: '3', output: '15' },
];

/** Used for a model id no entry matches, so spend is never recorded as zero. */
export const FALLBACK_PRICE: ModelPrice = { match: /.*/, family: 'unknown (priced as sonnet)', input: '3', output: '15' };

export const CACHE_WRITE_MULTIPLIER = '1.25';
export const CACHE_READ_MULTIPLIER = '0.1';

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export function priceOf(model: string): { price: ModelPrice; known: boolean } {
  const price = MODEL_PRICES.find((p) => p.match.test(model));
  return price ? { price, known: true } : { price: FALLBACK_PRICE, known: false };
}

/** The cost of one call's tokens in USD. */
export function costOf(model: string, t: TokenCounts): Dec {
  const { price } = priceOf(model);
  const input = new D(price.input);
  const perMillion = input
    .times(t.inputTokens)
    .plus(new D(price.output).times(t.outputTokens))
    .plus(input.times(CACHE_WRITE_MULTIPLIER).times(t.cacheWriteTokens))
    .plus(input.times(CACHE_READ_MULTIPLIER).times(t.cacheReadTokens));
  return perMillion.dividedBy(1_000_000);
}

/** Cost as the decimal string stored in `llm_usage.cost`. */
export function costString(model: string, t: TokenCounts): string {
  return costOf(model, t).toFixed();
}
