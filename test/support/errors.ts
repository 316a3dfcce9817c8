// Awaits a call that must fail with an expected error and returns that AppError for assertions.
import { expect } from 'vitest';
import { AppError } from '../../src/services/errors.js';

export async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the call to fail with an AppError').toBeInstanceOf(AppError);
  return err as AppError;
}
