// The order-path check of competition portfolios: only trades inside the window count, so an order on
// an entrant's competition portfolio before the start, after the end (or once the competition is
// finished or cancelled), or on a market the competition does not allow, is refused with the reason.
// Other portfolios pay one indexed read (competition_entries.portfolio_id is unique); live portfolios
// are never competition portfolios and are not checked.
import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { competitionEntries, competitions, type Portfolio } from '../../db/schema/index.js';
import { AppError, ErrorCode } from '../errors.js';

const minute = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Throws `rejected` when `portfolio` is a competition portfolio that may not trade `symbol` at `now`. */
export async function assertCompetitionAllows(ex: Executor, portfolio: Pick<Portfolio, 'id' | 'tradingMode' | 'name'>, symbol: string, now: Date): Promise<void> {
  if (portfolio.tradingMode !== 'paper') return;
  const [c] = await ex
    .select({ name: competitions.name, status: competitions.status, startsAt: competitions.startsAt, endsAt: competitions.endsAt, markets: competitions.markets })
    .from(competitionEntries)
    .innerJoin(competitions, eq(competitions.id, competitionEntries.competitionId))
    .where(eq(competitionEntries.portfolioId, portfolio.id));
  if (!c) return;
  const what = `"${portfolio.name}" is your portfolio in the competition "${c.name}"`;
  if (c.status === 'cancelled') {
    throw new AppError(ErrorCode.rejected, `${what}, which was cancelled: it takes no more orders`, 'trade from another portfolio (list-portfolios)');
  }
  if (now.getTime() < c.startsAt.getTime()) {
    throw new AppError(ErrorCode.rejected, `${what}, which starts at ${minute(c.startsAt)}: orders before the start do not count and are refused`, 'place it once the competition has started');
  }
  if (c.status === 'finished' || now.getTime() >= c.endsAt.getTime()) {
    throw new AppError(ErrorCode.rejected, `${what}, which ended at ${minute(c.endsAt)}: orders after the end do not count and are refused`, '"/competition" (get-competition) shows the results');
  }
  if (c.markets.length > 0 && !c.markets.includes(symbol)) {
    throw new AppError(ErrorCode.rejected, `${what}, which allows only ${c.markets.join(', ')}; ${symbol} is not one of them`, `trade one of ${c.markets.join(', ')} there`);
  }
}
