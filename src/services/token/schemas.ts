// Input shapes of the token service: every amount through the shared decimal field (bounded, at most
// 18 places), every name through the plain-text field, so bad input is refused before anything moves.
import { z } from 'zod';
import { idOrPrefixField } from '../id-prefix.js';
import { decimalField, textField, type DecimalBounds } from '../trading/input.js';

/** A token amount: above zero, at most 10^12 per operation, at most 18 places. */
export const TOKEN_AMOUNT: DecimalBounds = { max: '1000000000000', maxDecimals: 18, example: '100' };
/** A token amount that may be zero (a pool's minimum stake). */
const TOKEN_AMOUNT_OR_ZERO: DecimalBounds = { ...TOKEN_AMOUNT, min: '0', minInclusive: true };
/** An annual rate as a fraction: 0 to 10 (1000 %), at most 10 places (numeric(20, 10)). */
const APR: DecimalBounds = { min: '0', minInclusive: true, max: '10', maxDecimals: 10, example: '0.12' };
/** A fraction of the principal: 0 to 1. */
const PENALTY: DecimalBounds = { min: '0', minInclusive: true, max: '1', maxDecimals: 10, example: '0.1' };

const poolRef = textField('pool', 64, { min: 1, required: 'pool is required: give its name or id (token pools lists them)' }).describe(
  'Staking pool: its name or the first characters of its id',
);

export const mintShape = { amount: decimalField('Tokens to add to the supply and the treasury', TOKEN_AMOUNT) };

export const grantShape = {
  user: textField('user', 100, { min: 1, required: 'user is required: give a user id, username or email' }).describe('The user to receive tokens: id, username or email'),
  amount: decimalField('Tokens to move from the treasury to the user\'s balance', TOKEN_AMOUNT),
  reason: textField('reason', 200).optional().describe('Why (kept in the audit trail)'),
};

export const createPoolShape = {
  name: textField('name', 64, { min: 1, required: 'name is required' }).describe('Pool name, unique, e.g. "flex" or "90-day"'),
  apr: decimalField('Annual rate as a fraction (0.12 = 12 %)', APR),
  lockDays: z
    .number({ invalid_type_error: 'lockDays must be a whole number of days such as 30' })
    .int('lockDays must be a whole number of days')
    .min(0, 'lockDays must not be negative')
    .max(3650, 'lockDays is at most 3650 (ten years)')
    .default(0)
    .describe('Lock-up in days; 0 = flexible'),
  minStake: decimalField('Smallest stake accepted', TOKEN_AMOUNT_OR_ZERO).default('0'),
  capacity: decimalField('Most tokens the pool takes in all; omit for no limit', TOKEN_AMOUNT).optional(),
  earlyUnstakePenalty: decimalField('Share of the principal kept by the treasury on an early unstake (0.1 = 10 %); omit to forbid early unstaking', PENALTY)
    .nullable()
    .optional(),
};

export const poolShape = { pool: poolRef };

export const stakeShape = { pool: poolRef, amount: decimalField('Tokens to stake from your balance', TOKEN_AMOUNT) };

export const unstakeShape = { stake: idOrPrefixField('stake', 'token balance') };

export const historyShape = {
  limit: z.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(200, 'limit is at most 200').default(20).describe('How many entries, newest first'),
};
