// One translation from market-data adapter failures (Pyth, ccxt, the simulated market, charts) to
// the services' `AppError`, so every surface shows the same code, message and recovery hint.
import { isPythError } from '../../adapters/pyth/errors.js';
import { isCcxtVenueError } from '../../adapters/ccxt/venue-error.js';
import { SimMarketRequestError, UnknownSymbolError } from '../../adapters/sim-market/index.js';
import { AppError, ErrorCode, isAppError } from '../errors.js';

/**
 * Converts any error thrown while asking a market-data source to `AppError`. Unknown errors become
 * `unavailable` with a safe message (the original is for the log, never for the user).
 */
export function toMarketError(err: unknown, action: string): AppError {
  if (isAppError(err)) return err;
  if (isPythError(err)) {
    const code = (Object.values(ErrorCode) as string[]).includes(err.code) ? (err.code as ErrorCode) : ErrorCode.unavailable;
    return new AppError(code, err.message, err.hint, err.details);
  }
  if (isCcxtVenueError(err)) {
    const c = err.classification;
    if (c.kind === 'rejected') {
      const hint = c.reason === 'bad_symbol' ? 'search the markets (search-markets) for the right symbol' : undefined;
      return new AppError(ErrorCode.invalidInput, c.userMessage, hint, { reason: c.reason });
    }
    const code = c.reason === 'rate_limited' ? ErrorCode.rateLimited : ErrorCode.unavailable;
    const details: Record<string, unknown> = { reason: c.reason };
    if (c.retryAfterMs !== undefined) details['retryAfterMs'] = c.retryAfterMs;
    return new AppError(code, c.userMessage, 'try again shortly', details);
  }
  if (err instanceof UnknownSymbolError) {
    return new AppError(
      ErrorCode.notFound,
      `the simulated market has no data for ${err.symbol.slice(0, 40)}`,
      err.suggestion ? `try ${err.suggestion}` : 'search the markets (search-markets) for a symbol the simulated market lists',
      { symbol: err.symbol.slice(0, 40), ...(err.suggestion ? { suggestions: [err.suggestion] } : {}) },
    );
  }
  if (err instanceof SimMarketRequestError) return new AppError(ErrorCode.invalidInput, err.message);
  return new AppError(ErrorCode.unavailable, `could not ${action}`, 'try again shortly');
}

/** Whether a failure is worth retrying after a pause (network, rate limit, venue unavailable). */
export function isTransientMarketError(err: unknown): boolean {
  if (isCcxtVenueError(err)) return err.classification.retryable;
  if (isPythError(err)) return err.code === 'unavailable' || err.code === 'rate_limited';
  if (isAppError(err)) return err.code === ErrorCode.unavailable || err.code === ErrorCode.rateLimited;
  return false;
}
