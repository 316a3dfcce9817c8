// Errors the Pyth adapter throws. Every message is safe to show and to log: it never contains the
// API key, request headers or the configured Hermes URL (providers put access tokens in URL paths).
// `code` uses the same strings as the services' `ErrorCode`, so a service maps them one to one.

export const PythErrorCode = {
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  notFound: 'not_found',
  invalidInput: 'invalid_input',
  stalePrice: 'stale_price',
} as const;
export type PythErrorCode = (typeof PythErrorCode)[keyof typeof PythErrorCode];

export class PythError extends Error {
  override readonly name: string = 'PythError';
  constructor(
    readonly code: PythErrorCode,
    message: string,
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Hermes answered 429, or our own request budget is spent. No request is sent until `retryAt`. */
export class PythRateLimitError extends PythError {
  override readonly name = 'PythRateLimitError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
    readonly retryAt: Date,
  ) {
    super(PythErrorCode.rateLimited, message, 'wait and ask again; Pyth prices resume automatically', {
      retryAfterMs,
      retryAt: retryAt.toISOString(),
    });
  }
}

export function isPythError(err: unknown): err is PythError {
  return err instanceof PythError;
}

/**
 * Removes secrets from text that came from elsewhere (a vendor error, a response body): the API key,
 * the configured base URL and anything shaped like a bearer token or URL credentials.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[redacted]');
  }
  return out
    .replace(/(Bearer\s+)[^\s"',}]+/gi, '$1[redacted]')
    .replace(/(authorization["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1[redacted]')
    .replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1[redacted]@');
}
