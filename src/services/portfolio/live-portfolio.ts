// Live portfolios: opt-in per exchange account. Creating one reads the account's balances from the
// venue and books them as the portfolio's opening ledger (so every later fill, fee and
// reconciliation is an entry against what the venue said), starts it with conservative risk limits
// the owner may raise, and creates its paper shadow: a paper twin funded alike that receives the
// same orders at the same moments, so the difference between live and paper is a figure.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../../db/client.js';
import { exchangeCredentials, portfolios, riskLimits, type Portfolio } from '../../db/schema/index.js';
import { isUniqueViolation, withTransaction } from '../../db/tx.js';
import { deposit } from '../../domain/ledger.js';
import { toPlain, ZERO, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireRole } from '../authorize.js';
import { decryptExchangeCredentials } from '../credentials.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import { resolveIdPrefix } from '../id-prefix.js';
import type { SecretKey } from '../secret-box.js';
import { commitLedger, lockBalances } from '../trading/ledger-store.js';
import type { LiveVenueBuildOptions } from '../trading/live-venues.js';
import type { LiveVenue } from '../trading/ports.js';
import { q18 } from '../trading/rows.js';

/** A new live portfolio's limits: at most this notional per position (in its quote currency) … */
export const LIVE_START_MAX_POSITION_NOTIONAL = '100';
/** … and at most this leverage. The owner may raise both with set-risk-limit. */
export const LIVE_START_MAX_LEVERAGE = '3';

export const createLivePortfolioInput = z
  .object({
    name: z.string().trim().min(1, 'the portfolio needs a name').max(64, 'a portfolio name is at most 64 characters'),
    exchangeAccountId: z.string().trim().min(4, 'give the exchange account id (or its first characters) from mikey exchange list').max(64),
    baseCurrency: z.string().trim().toUpperCase().regex(/^[A-Z0-9]{2,10}$/, 'baseCurrency is an asset code such as USDT').default('USDT'),
  })
  .strict();
export type CreateLivePortfolioInput = z.input<typeof createLivePortfolioInput>;

export interface LivePortfolioDeps {
  db: Db;
  clock: Clock;
  events: EventBus;
  secretKey: SecretKey;
  apiBaseUrl?: string;
  /** Builds the venue adapter (the same the live broker uses), here only to read balances. */
  build(opts: LiveVenueBuildOptions): Promise<LiveVenue>;
}

export interface LivePortfolioCreated {
  portfolio: Portfolio;
  shadow: Portfolio;
  /** What the venue reported and was booked, per asset (free balances; locked ones are not ours). */
  opening: Array<{ asset: string; free: string; locked: string }>;
  exchange: string;
  sandbox: boolean;
}

export async function createLivePortfolio(deps: LivePortfolioDeps, actor: Actor, input: CreateLivePortfolioInput): Promise<LivePortfolioCreated> {
  await requireRole(deps.db, actor, 'trader');
  const parsed = createLivePortfolioInput.safeParse(input);
  if (!parsed.success) throw new AppError(ErrorCode.invalidInput, parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  const v = parsed.data;
  const credId = await resolveIdPrefix(deps.db, {
    table: exchangeCredentials,
    id: exchangeCredentials.id,
    owned: eq(exchangeCredentials.userId, actor.userId),
    input: v.exchangeAccountId,
    noun: 'exchange account',
    listedBy: 'mikey exchange list',
  });
  const [cred] = await deps.db.select().from(exchangeCredentials).where(and(eq(exchangeCredentials.id, credId), eq(exchangeCredentials.userId, actor.userId)));
  if (!cred) throw notFound('exchange account', 'mikey exchange list shows yours');
  if (!cred.isActive || !cred.isValid) {
    throw new AppError(ErrorCode.invalidInput, `the ${cred.exchange} keys "${cred.label ?? 'default'}" did not pass their last check with the venue`, `run mikey exchange test ${cred.id.slice(0, 8)} and try again`);
  }
  if (cred.portfolioId) {
    throw new AppError(ErrorCode.conflict, `those ${cred.exchange} keys already trade for another live portfolio`, 'add a separate key (or sub-account) for a second live portfolio');
  }

  // Read the venue's balances before anything is written: a venue that does not answer leaves nothing behind.
  const id = randomUUID();
  const creds = await decryptExchangeCredentials(deps.db, deps.secretKey, actor.userId, cred.id);
  const venue = await deps.build({
    accountId: id,
    exchangeId: cred.exchange,
    credentials: { apiKey: creds.apiKey, secret: creds.apiSecret, ...(creds.passphrase ? { password: creds.passphrase } : {}) },
    sandbox: cred.sandbox,
    accountType: cred.accountType,
    ...(deps.apiBaseUrl ? { apiBaseUrl: deps.apiBaseUrl } : {}),
    onVenueCall: () => undefined,
  });
  let balances: Map<string, { free: Dec; locked: Dec }>;
  try {
    balances = await venue.fetchBalances();
  } catch (err) {
    throw new AppError(ErrorCode.unavailable, `${cred.exchange} did not give the account's balances (${(err as Error).message}); nothing was created`, 'check the venue is reachable and try again');
  } finally {
    await venue.close?.();
  }
  const opening = [...balances.entries()]
    .filter(([, b]) => b.free.gt(0) || b.locked.gt(0))
    .map(([asset, b]) => ({ asset: asset.toUpperCase(), free: q18(b.free), locked: q18(b.locked) }))
    .sort((a, b) => a.asset.localeCompare(b.asset));
  const quoteFree = opening.find((b) => b.asset === v.baseCurrency)?.free ?? ZERO;
  const now = deps.clock.now();

  try {
    const result = await withTransaction(deps.db, async (tx) => {
      const [p] = await tx
        .insert(portfolios)
        .values({
          id,
          userId: actor.userId,
          name: v.name,
          tradingMode: 'live',
          accountType: cred.accountType,
          exchange: cred.exchange,
          baseCurrency: v.baseCurrency,
          initialCapital: toPlain(quoteFree),
          autoConfirm: false,
          currentValue: toPlain(quoteFree),
          cashBalance: toPlain(quoteFree),
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      const [s] = await tx
        .insert(portfolios)
        .values({
          userId: actor.userId,
          name: `${v.name} (shadow)`,
          tradingMode: 'paper',
          accountType: cred.accountType,
          exchange: 'paper',
          baseCurrency: v.baseCurrency,
          initialCapital: toPlain(quoteFree),
          // The shadow follows the live orders the owner already confirmed; it never asks again.
          autoConfirm: true,
          currentValue: toPlain(quoteFree),
          cashBalance: toPlain(quoteFree),
          shadowOf: id,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      for (const pid of [p!.id, s!.id]) await bookOpening(tx, pid, opening, actor.traceId, now);
      await tx.update(exchangeCredentials).set({ portfolioId: id, updatedAt: now }).where(eq(exchangeCredentials.id, cred.id));
      await tx.insert(riskLimits).values([
        { userId: actor.userId, portfolioId: id, limitType: 'position_size', value: LIVE_START_MAX_POSITION_NOTIONAL },
        { userId: actor.userId, portfolioId: id, limitType: 'leverage', value: LIVE_START_MAX_LEVERAGE },
      ]);
      await writeAudit(tx, actor, {
        action: 'portfolio.create_live',
        entityType: 'portfolio',
        entityId: id,
        newValue: {
          name: v.name,
          mode: 'live',
          exchange: cred.exchange,
          sandbox: cred.sandbox,
          exchangeAccountId: cred.id,
          shadowId: s!.id,
          opening: opening.map((b) => ({ asset: b.asset, free: toPlain(b.free), locked: toPlain(b.locked) })),
          limits: { maxPositionNotional: LIVE_START_MAX_POSITION_NOTIONAL, maxLeverage: LIVE_START_MAX_LEVERAGE },
        },
      });
      return { portfolio: p!, shadow: s! };
    });
    deps.events.emit({ type: 'balance.changed', userId: actor.userId, portfolioId: id });
    return {
      ...result,
      opening: opening.map((b) => ({ asset: b.asset, free: toPlain(b.free), locked: toPlain(b.locked) })),
      exchange: cred.exchange,
      sandbox: cred.sandbox,
    };
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError(ErrorCode.conflict, `you already have a portfolio named "${v.name}" (or "${v.name} (shadow)")`, 'choose another name');
    throw err;
  }
}

/** The venue's free balances as the opening deposits (locked ones belong to orders MIKEY did not place). */
async function bookOpening(tx: Executor, portfolioId: string, opening: ReadonlyArray<{ asset: string; free: Dec }>, traceId: string, at: Date): Promise<void> {
  const funded = opening.filter((b) => b.free.gt(0));
  if (funded.length === 0) return;
  let before = await lockBalances(tx, portfolioId, funded.map((b) => b.asset));
  for (const b of funded) {
    const change = deposit(before, b.asset, b.free, portfolioId);
    if (!change.ok) throw new AppError(ErrorCode.invalidInput, change.error.message);
    before = await commitLedger(tx, portfolioId, before, change.value.entries, { refType: 'portfolio', refId: portfolioId, traceId, at });
  }
}
