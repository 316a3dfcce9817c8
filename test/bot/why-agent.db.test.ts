// "Why did you buy …?" with a model (issue 16.2): the real SDK against the scripted Messages API, on
// MIKEY's real tools and services. An order the model previewed and the person confirmed carries the
// person's own words (not the model's) and the surface; the model, told about explain-order in its
// system prompt, finds the order and reads its story — the stated reason marked as data; and when the
// model is down, the offline understanding answers the same question.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { auditLogs, orders } from '../../src/db/schema/index.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { errorReply, startMessagesApiServer, textReply, toolUseReply, type MessagesApiServer, type RecordedRequest, type Step } from '../fakes/messages-api-server.js';

const FAST = { sdkMaxRetries: 0, extraAttempts: 0, baseDelayMs: 1, maxDelayMs: 5 };

let api: MessagesApiServer;
let app: TestApp;
let handler: BrainChatHandler;
let seq = 0;

beforeAll(async () => {
  api = await startMessagesApiServer([]);
  app = await createTestApp({ ANTHROPIC_API_KEY: 'sk-ant-test-why', ANTHROPIC_BASE_URL: api.url });
  handler = createChatHandler(app.config, app.services, { brain: { agent: { retry: FAST, pauseAfterFailureMs: 0 } } });
});

afterAll(async () => {
  await handler?.close();
  await api?.close();
  await app?.close();
});

beforeEach(() => {
  api.requests.length = 0;
});

async function person(): Promise<{ user: User; ctx: ChatContext }> {
  const user = await createUser(app.database.db, { username: `why_agent_${++seq}` });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  return { user, ctx: { platform: 'discord', user, chatId: `why-agent-${seq}`, isGroup: false, messageId: `msg-${seq}` } };
}

/** The text of the tool_result blocks in the last message of a request. */
function toolResultText(req: RecordedRequest): string {
  const msgs = req.body.messages as Array<{ content: unknown }>;
  const last = msgs[msgs.length - 1]!;
  if (typeof last.content === 'string') return '';
  return (last.content as Array<{ type: string; content?: Array<{ text: string }> }>)
    .filter((b) => b.type === 'tool_result')
    .map((b) => (b.content ?? []).map((c) => c.text).join('\n'))
    .join('\n');
}

/** The person asks for SOL, the model previews it (adding its own reason), the person says yes. */
async function buySolThroughTheModel(ctx: ChatContext): Promise<string> {
  api.setScript([
    toolUseReply([{ name: 'preview-order', input: { symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.4' } }]),
    textReply('Card: buy 0.4 SOL at market (paper). Confirm?'),
  ]);
  const card = await handler.handleText(ctx, 'grab me 0.4 sol, it is breaking out');
  expect(card.confirmation, 'the model’s preview becomes a card').toBeDefined();
  const done = await handler.handleConfirmation(ctx, card.confirmation!.token, 'yes');
  expect(done.text, 'the confirmed card is executed by code').toMatch(/Bought 0\.4 SOL/);
  const [row] = await app.database.db.select({ id: orders.id }).from(orders).where(and(eq(orders.userId, ctx.user.id), eq(orders.orderType, 'market')));
  return row!.id;
}

describe('why did you buy … with a model', () => {
  it('the order the person confirmed carries their own words and the surface', async () => {
    const { ctx } = await person();
    const orderId = await buySolThroughTheModel(ctx);
    const [placed] = await app.database.db
      .select({ metadata: auditLogs.metadata })
      .from(auditLogs)
      .where(and(eq(auditLogs.entityId, orderId), eq(auditLogs.action, 'order.place')));
    expect(placed?.metadata, 'surface, card confirmation, the words that led to the card and their message id').toMatchObject({
      surface: 'discord',
      confirmed: 'token',
      context: { reason: 'the person wrote: "grab me 0.4 sol, it is breaking out"', messageId: `msg-${seq}` },
    });
  });

  it('the model is told about explain-order, calls it, and reads the person’s words as marked data', async () => {
    const { ctx } = await person();
    const orderId = await buySolThroughTheModel(ctx);
    api.requests.length = 0;
    const script: Step[] = [
      toolUseReply([{ name: 'list-orders', input: { status: 'all', symbol: 'SOL/USDT' } }]),
      toolUseReply([{ name: 'explain-order', input: { orderId: orderId.slice(0, 8) } }]),
      textReply('You bought 0.4 SOL (paper) because you asked: “grab me 0.4 sol, it is breaking out”; you confirmed the card.'),
    ];
    api.setScript(script);
    const r = await handler.handleText(ctx, 'why did you buy SOL?');
    expect(r.text).toMatch(/^You bought 0\.4 SOL/);
    const [first, second, third] = api.requests as [RecordedRequest, RecordedRequest, RecordedRequest];
    const system = (first.body.system as Array<{ text: string }>).map((b) => b.text).join('\n');
    expect(system, 'the system prompt says how to answer “why did you buy …”').toMatch(/why did you buy SOL\?.*list-orders.*explain-order/is);
    expect(toolResultText(second), 'list-orders showed the order the model then explains').toContain(orderId.slice(0, 8));
    const story = toolResultText(third);
    expect(story, 'explain-order gave the model the person’s words as its stated reason').toMatch(/Stated reason: ‹untrusted-data source="user note"›the person wrote: "grab me 0\.4 sol, it is breaking out"‹\/untrusted-data›/);
    expect(story, 'the whole story reaches the model marked as data').toMatch(/^<untrusted-data source="tool:explain-order">[^]*<\/untrusted-data>$/);
    expect(story, 'and how it was confirmed').toMatch(/confirmed by the user on a trade card/);
  });

  it('when the model is down, the offline understanding answers “why did you buy SOL?” with one line saying so', async () => {
    const { ctx } = await person();
    await buySolThroughTheModel(ctx);
    api.setScript([errorReply(500, 'api_error', 'Internal server error')]);
    const r = await handler.handleText(ctx, 'why did you buy SOL?');
    const [line, what, because] = r.text.split('\n');
    expect(line).toBe('The model is failing (server error 500), so I used the offline understanding.');
    expect(what, 'then the offline answer').toMatch(/^Bought 0\.4 SOL\/USDT \(market, order [0-9a-f]{8}\), placed .* from Discord\.$/);
    expect(because).toBe('Because you wrote: “grab me 0.4 sol, it is breaking out”.');
    expect(r.text, 'clean text').not.toMatch(/untrusted-data|[{}]/);
  });
});
