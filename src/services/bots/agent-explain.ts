// Why an agent bot placed an order, for explain-order: the stored decision (`trading_signals`) the
// order points at, with the bot that acted on it, as a line a person reads.
import { and, eq, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { bots, tradingAgents, tradingSignals } from '../../db/schema/index.js';

export interface AgentDecisionView {
  signalId: string;
  /** The bot's name now (its agent's name when the bot is gone). */
  bot: string | null;
  direction: string;
  /** 0–1, two decimals. */
  confidence: string;
  reasoning: string;
  /** rules or model. */
  source: string | null;
  /** `rules`, `rules+<prediction model> v<n>` or `model:<name>`. */
  author: string | null;
  /** Why a model's answer was turned into a hold, when it was. */
  rejected: string | null;
  decidedAt: string;
  /** "Agent <bot> decided buy (confidence 0.72): <reasoning>" — plain text. */
  line: string;
}

// eslint-disable-next-line no-control-regex -- control characters never reach a person
const clean = (t: string | null | undefined): string => (t ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();

/** The agent decision behind an order of `userId` (null when the signal is not an agent's, or gone). */
export async function agentDecisionOf(db: Db, userId: string, signalId: string): Promise<AgentDecisionView | null> {
  const [s] = await db
    .select({ id: tradingSignals.id, action: tradingSignals.action, confidence: tradingSignals.confidence, reasoning: tradingSignals.reasoning, metadata: tradingSignals.metadata, createdAt: tradingSignals.createdAt, agentName: tradingAgents.name })
    .from(tradingSignals)
    .leftJoin(tradingAgents, eq(tradingAgents.id, tradingSignals.agentId))
    .where(and(eq(tradingSignals.id, signalId), eq(tradingSignals.userId, userId), isNotNull(tradingSignals.agentId)))
    .limit(1);
  if (!s) return null;
  const meta = s.metadata ?? {};
  const botId = typeof meta['botId'] === 'string' ? meta['botId'] : null;
  const [b] = botId ? await db.select({ name: bots.name }).from(bots).where(and(eq(bots.id, botId), eq(bots.userId, userId))).limit(1) : [];
  const bot = clean(b?.name ?? s.agentName) || null;
  const confidence = Number(s.confidence).toFixed(2);
  const reasoning = clean(s.reasoning);
  const str = (k: string): string | null => (typeof meta[k] === 'string' ? meta[k] : null);
  return {
    signalId: s.id, bot, direction: s.action, confidence, reasoning, source: str('source'), author: str('author'), rejected: str('rejected'),
    decidedAt: s.createdAt.toISOString(),
    line: `Agent ${bot ?? 'of a bot'} decided ${s.action} (confidence ${confidence})${reasoning ? `: ${reasoning}` : '.'}`,
  };
}
