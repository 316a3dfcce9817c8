// Predictions asked for in the offline chat (issue 12): "what do you predict for BTC in 1h?" goes
// offline understanding → in-process MCP client → get-prediction → services.predictions on the
// simulated market (manual clock), and answers with the call AND its record; once scored, "prediction
// scorecard" and "recent predictions" show the record; retraining is refused to a trader. No order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { orders } from '../../src/db/schema/index.js';
import { createUser } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { HOUR, manualClock, T0 } from '../services/market/support.js';

let app: TestApp;
let handler: BrainChatHandler;
let ctx: ChatContext;
const clock = manualClock(T0);

beforeAll(async () => {
  app = await createTestApp({}, { clock });
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
  const user = await createUser(app.database.db, { username: 'predictor' });
  ctx = { platform: 'terminal', user, chatId: 'chat-predictor', isGroup: false };
}, 60_000);
afterAll(async () => {
  await handler?.close();
  await app?.close();
});

describe('predictions in the offline chat', () => {
  it('“what do you predict for BTC in 1h?” answers with the call and its record, and places nothing', async () => {
    const r = await handler.handleText(ctx, 'what do you predict for BTC in 1h?');
    expect(r.confirmation, 'a prediction is never a trade card').toBeUndefined();
    expect(r.text).toMatch(/BTC\/USDT, 1h ahead: .+ calls (UP|DOWN) \(\d+% confidence\)/);
    expect(r.text, 'never without its record').toMatch(/Record of .+ on BTC\/USDT 1h: no scored record yet; walk-forward out of sample: [\d.]+% of [\d,]+/);
    expect(r.text).toMatch(/(does not beat|beats) the baseline/);
    expect(r.text).toMatch(/not financial advice/);
    expect(await app.database.db.select().from(orders), 'no order').toEqual([]);
  });

  it('once scored, “prediction scorecard” and “recent predictions” show the record', async () => {
    clock.advance(2 * HOUR);
    expect((await app.services.predictions.scoreDue()).scored).toBe(5);
    const card = await handler.handleText(ctx, 'prediction scorecard');
    expect(card.text).toMatch(/Model scorecard, predictions made since/);
    expect(card.text).toMatch(/\nGBT +BTC\/USDT +1h +1 /);
    expect(card.text).toMatch(/None of the 3 learner records beats the majority-class baseline/);
    const recent = await handler.handleText(ctx, 'recent predictions');
    expect(recent.text).toMatch(/ (right|wrong)\n/);
    expect(recent.text).toMatch(/4 direction calls scored, \d right/);
  });

  it('“retrain the btc 1h model” is refused to a trader in words', async () => {
    const r = await handler.handleText(ctx, 'retrain the btc 1h model');
    expect(r.text).toMatch(/needs the admin role; your role is trader/);
  });
});
