// Errors the Hyperliquid adapter throws. Messages are safe to show and to log: they never contain
// the configured base URL (a proxy URL can carry a token) and quote at most one short, cleaned line
// of a response body. `code` uses the same strings as the services' `ErrorCode`.

export const HyperliquidErrorCode = {
  invalidInput: 'invalid_input',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
} as const;
export type HyperliquidErrorCode = (typeof HyperliquidErrorCode)[keyof typeof HyperliquidErrorCode];

export class HyperliquidError extends Error {
  override readonly name = 'HyperliquidError';
  constructor(
    readonly code: HyperliquidErrorCode,
    message: string,
    readonly hint?: string,
    /** HTTP status when the API answered with one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export function isHyperliquidError(err: unknown): err is HyperliquidError {
  return err instanceof HyperliquidError;
}

/** First line of a vendor body, without control characters or markup, at most `max` characters. */
export function bodyExcerpt(body: string, max = 160): string {
  const first = body.split(/\r?\n/).find((l) => l.trim().length > 0) ?? '';
  const plain = [...first].map((c) => (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 || '<>{}"'.includes(c) ? ' ' : c)).join('');
  const line = plain.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
