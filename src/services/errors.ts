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
