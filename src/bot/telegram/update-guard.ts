// Each update is processed once: Telegram redelivers a webhook update it did not see acknowledged,
// and a restarted poller can see the last batch again. Remembered in bounded memory; for the one
// path where a repeat could matter — executing an order — the confirmation token is single-use on
// the server, so even a repeat after a restart cannot act twice.
import type { Context, MiddlewareFn } from 'telegraf';
import type { Logger } from '../../log.js';
import { BoundedSet } from './bounded-set.js';

export class UpdateGuard {
  private readonly seen: BoundedSet<number>;
  /** Updates offered so far, and how many of them were repeats. */
  readonly counts = { updates: 0, repeated: 0 };
  constructor(capacity = 50_000) {
    this.seen = new BoundedSet(capacity);
  }

  /** True the first time an update id is offered. */
  firstTime(updateId: number): boolean {
    this.counts.updates++;
    const first = this.seen.add(updateId);
    if (!first) this.counts.repeated++;
    return first;
  }
}

/** The shared check across instances (src/services/cluster/update-claims.ts): first claim wins. */
export interface SharedClaims {
  claim(source: string, updateId: number): Promise<boolean>;
}

export function dropRepeatedUpdates(guard: UpdateGuard, logger: Logger): MiddlewareFn<Context> {
  return async (ctx, next) => {
    if (!guard.firstTime(ctx.update.update_id)) {
      logger.debug('telegram update repeated; ignored', { updateId: ctx.update.update_id });
      return;
    }
    return next();
  };
}

/**
 * Webhook mode behind a load balancer: Telegram's redelivery may reach another instance, so the
 * database says which instance has an update. Placed after authorisation, so a stranger's update
 * writes nothing. When the database cannot say, the update is handled (a repeat is harmless; a loss is not).
 */
export function claimAcrossInstances(claims: SharedClaims, source: () => string, logger: Logger): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const first = await claims.claim(source(), ctx.update.update_id).catch((err: unknown) => {
      logger.warn('telegram update claim failed; handling it here', { updateId: ctx.update.update_id, error: err });
      return true;
    });
    if (!first) {
      logger.debug('telegram update handled by another instance; ignored', { updateId: ctx.update.update_id });
      return;
    }
    return next();
  };
}
