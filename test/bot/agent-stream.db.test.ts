// The agent's streaming hook (issue 16.5): with `onPartial` the model is called streaming (the real
// SDK reading server-sent events from the scripted Messages API, in the real event order), the hook
// hears the whole answer so far on every text event, in order, ending with the final text; text
// written before a tool round is replaced by the text after it; a stream cut off mid-answer falls
// back to the offline understanding with one clean line; without the hook nothing streams. MIKEY's
// real tools and services on a real database.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext, ChatReply } from '../../src/bot/chat-types.js';
import { createUser } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startMessagesApiServer, streamEvents, textReply, toolUseReply, type MessagesApiServer, type RecordedRequest } from '../fakes/messages-api-server.js';

const FAST = { sdkMaxRetries: 0, extraAttempts: 0, baseDelayMs: 1, maxDelayMs: 5 };

let api: MessagesApiServer;
let app: TestApp;
let handler: BrainChatHandler;
let seq = 0;

beforeAll(async () => {
  api = await startMessagesApiServer([]);
  app = await createTestApp({ ANTHROPIC_API_KEY: 'sk-ant-test-stream', ANTHROPIC_BASE_URL: api.url });
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

async function person(): Promise<ChatContext> {
  const user = await createUser(app.database.db, { username: `streamer_${++seq}` });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  return { platform: 'telegram', user, chatId: `stream-chat-${seq}`, isGroup: false };
}

/** Runs a turn with the hook, keeping every partial text it hears. */
async function streamed(ctx: ChatContext, text: string): Promise<{ reply: ChatReply; partials: string[] }> {
  const partials: string[] = [];
  const reply = await handler.handleText(ctx, text, { onPartial: (t) => partials.push(t) });
  return { reply, partials };
}

function expectGrowing(partials: readonly string[], what: string): void {
  for (let i = 1; i < partials.length; i++) {
    expect(partials[i]!.startsWith(partials[i - 1]!), `${what}: partial ${i} (“${partials[i]}”) grows the one before (“${partials[i - 1]}”)`).toBe(true);
  }
}

describe('the scripted server streams as the Messages API does', () => {
  it('sends message_start, ping, block start / deltas / stop per block, message_delta, message_stop', () => {
    const body = toolUseReply([{ name: 'get-price', input: { symbols: ['SOL/USDT'] }, id: 'toolu_1' }], 'Let me look.').body as Record<string, unknown>;
    const events = streamEvents(body);
    expect(events.map((e) => (e.event === 'content_block_delta' ? `delta:${(e.data.delta as { type: string }).type}` : e.event))).toEqual([
      'message_start', 'ping',
      'content_block_start', 'delta:text_delta', 'delta:text_delta', 'delta:text_delta', 'content_block_stop',
      'content_block_start', 'delta:input_json_delta', 'delta:input_json_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    const json = events.filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'input_json_delta').map((e) => (e.data.delta as { partial_json: string }).partial_json).join('');
    expect(JSON.parse(json), 'the tool input arrives in pieces that join to it').toEqual({ symbols: ['SOL/USDT'] });
  });
});

describe('streaming through the agent', () => {
  it('partial texts arrive in order, each the whole answer so far, and end with the final text', async () => {
    const ctx = await person();
    const answer = 'Markets are calm today; SOL is flat and BTC holds its range.';
    api.setScript([textReply(answer)]);
    const { reply, partials } = await streamed(ctx, 'how are markets?');
    expect(reply.text).toBe(answer);
    expect(partials.length, 'one partial per text event (one per word here)').toBe(answer.split(' ').length);
    expect(partials[0], 'the first partial is the first word').toBe('Markets');
    expectGrowing(partials, 'one answer');
    expect(partials[partials.length - 1], 'the last partial is the final text').toBe(reply.text);
    expect((api.requests[0] as RecordedRequest).body.stream, 'the model was asked to stream').toBe(true);
  });

  it('without the hook the model is called without streaming, as before', async () => {
    const ctx = await person();
    api.setScript([textReply('Quiet day.')]);
    const reply = await handler.handleText(ctx, 'how are markets?');
    expect(reply.text).toBe('Quiet day.');
    expect((api.requests[0] as RecordedRequest).body.stream, 'no stream asked for').toBeUndefined();
  });

  it('a tool round while streaming: the tool runs with its streamed input, and the text after it replaces the text before', async () => {
    const ctx = await person();
    api.setScript([
      toolUseReply([{ name: 'get-price', input: { symbols: ['SOL/USDT'] } }], 'Let me check SOL.'),
      textReply('SOL is trading flat (simulated).'),
    ]);
    const { reply, partials } = await streamed(ctx, 'price of sol?');
    expect(reply.text).toBe('SOL is trading flat (simulated).');
    const second = api.requests[1] as RecordedRequest;
    const lastMessage = second.body.messages[second.body.messages.length - 1] as { content: Array<{ type: string; content: Array<{ text: string }> }> };
    const result = lastMessage.content.find((b) => b.type === 'tool_result');
    expect(result?.content.map((c) => c.text).join('\n'), 'get-price ran with the input that arrived as input_json_delta pieces').toMatch(/SOL\/USDT/);
    const before = partials.indexOf('Let me check SOL.');
    const after = partials.indexOf('SOL');
    expect(before, 'the text before the tool round was shown').toBeGreaterThanOrEqual(0);
    expect(after, 'then the answer after it starts afresh, replacing it').toBeGreaterThan(before);
    expectGrowing(partials.slice(0, before + 1), 'the first round');
    expectGrowing(partials.slice(after), 'the second round');
    expect(partials[partials.length - 1], 'the last partial is the final text').toBe(reply.text);
  });

  it('a stream cut off mid-answer falls back to the offline understanding with one clean line', async () => {
    const ctx = await person();
    const cut = textReply('SOL is trading at a level that I will now describe at length.');
    api.setScript([{ ...cut, stream: { cutAfter: 6 } }]);
    const { reply, partials } = await streamed(ctx, 'price of sol');
    expect(partials.length, 'some of the answer was shown before the cut').toBeGreaterThan(0);
    const [first, ...rest] = reply.text.split('\n');
    expect(first, 'one line says the model failed and the offline understanding answered').toBe('The model is cut off mid-answer, so I used the offline understanding.');
    expect(rest.join('\n'), 'the offline answer: the price of SOL').toMatch(/SOL\/USDT/);
    expect(reply.text, 'no error class names or stack traces').not.toMatch(/Error|AnthropicError|terminated|^\s+at /m);
    expect(reply.text, 'the cut-off text is not the answer').not.toContain('describe at length');
  });

  it('an error event mid-stream from a busy model is retried, and the retried stream is the answer', async () => {
    const ctx = await person();
    const busy = textReply('This answer will be interrupted by an overload.');
    const user = await createUser(app.database.db, { username: `retry_${++seq}` });
    await app.services.portfolio.ensureDefaultPortfolio(user.id);
    const retrying = createChatHandler(app.config, app.services, { brain: { agent: { retry: { ...FAST, extraAttempts: 1 }, pauseAfterFailureMs: 0 }, sleep: async () => {} } });
    try {
      api.setScript([{ ...busy, stream: { errorAfter: { events: 5, type: 'overloaded_error' } } }, textReply('Calm and steady.')]);
      const partials: string[] = [];
      const reply = await retrying.handleText({ ...ctx, user, chatId: `retry-${seq}` }, 'how are markets?', { onPartial: (t) => partials.push(t) });
      expect(reply.text).toBe('Calm and steady.');
      expect(api.requests.length, 'the stream was asked for twice').toBe(2);
      expect(partials[partials.length - 1], 'the partials end with the retried answer').toBe('Calm and steady.');
    } finally {
      await retrying.close();
    }
  });

  it('a surface whose hook throws still gets the whole answer', async () => {
    const ctx = await person();
    api.setScript([textReply('Still here with the full answer.')]);
    const reply = await handler.handleText(ctx, 'hello there, how are markets?', {
      onPartial: () => {
        throw new Error('surface broke');
      },
    });
    expect(reply.text).toBe('Still here with the full answer.');
  });
});
