// Expected failures every surface shows to a person or a model: a stable code, a message that says
// what was wrong, and a hint that says how to fix it. Anything else is a bug and is logged.
export const ErrorCode = {
  invalidInput: 'invalid_input',
  notFound: 'not_found',
  forbidden: 'forbidden',
  conflict: 'conflict',
  expired: 'expired',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  rejected: 'rejected',
  confirmationRequired: 'confirmation_required',
  halted: 'halted',
  stalePrice: 'stale_price',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (what: string, hint?: string): AppError =>
  new AppError(ErrorCode.notFound, `${what} not found`, hint);

export const invalidInput = (message: string, hint?: string): AppError => new AppError(ErrorCode.invalidInput, message, hint);

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/**
 * An expected failure as one line: its message, then its hint. `joiner` separates the two (". " on
 * MCP results, "; " on the terminal) — unless the message already ends a sentence (".", "?", "!"),
 * which is then followed by the hint as the next sentence, capitalised, never by a second stop. The
 * line ends with one stop.
 */
export function withHint(message: string, hint: string | undefined, joiner: '.' | ';' = '.'): string {
  const h = hint?.trim();
  if (!h) return message;
  const end = /[.?!]$/.test(h) ? '' : '.';
  const m = message.trimEnd();
  if (!/[.?!]$/.test(m)) return `${m}${joiner} ${h}${end}`;
  // Capitalise a plain first word; a command or field name ("resume-trading", "takeProfits.0") keeps its case.
  const next = /^[a-z]+(?=[\s,:;]|$)/.test(h) ? h.charAt(0).toUpperCase() + h.slice(1) : h;
  return `${m} ${next}${end}`;
}
