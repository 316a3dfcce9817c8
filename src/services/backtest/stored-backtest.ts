// One of a user's stored backtests by the reference a person gives: its id, a prefix of 4+
// characters as the replies show it, or "last" (the newest). Anyone else's is not found.
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { strategies } from '../../db/schema/index.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { resolveIdPrefix } from '../id-prefix.js';

/** The word that names the newest backtest wherever a backtest id is asked for. */
const LAST_BACKTEST = 'last';

export async function storedBacktestRow(db: Db, userId: string, ref: string, hint: string): Promise<typeof strategies.$inferSelect> {
  const mine = and(eq(strategies.userId, userId), eq(strategies.isBacktest, true));
  if (ref.trim().toLowerCase() === LAST_BACKTEST) {
    const [last] = await db.select().from(strategies).where(mine).orderBy(desc(strategies.createdAt), desc(strategies.id)).limit(1);
    if (!last) throw new AppError(ErrorCode.notFound, 'you have no backtests yet', hint);
    return last;
  }
  const id = await resolveIdPrefix(db, { table: strategies, id: strategies.id, owned: mine, input: ref, noun: 'backtest', listedBy: 'list-backtests' });
  const [row] = await db.select().from(strategies).where(and(eq(strategies.id, id), mine));
  if (!row) throw notFound('backtest', 'list-backtests shows yours');
  return row;
}
