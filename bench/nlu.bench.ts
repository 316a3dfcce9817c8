// The offline understanding on phrasings it was not written from: test/bot/nlu-unseen.ts (over 500
// trader phrasings — freqtrade/Hummingbot commands, group-chat slang, typos, emojis — kept apart from
// the phrasebook). Reports the share understood right (beside the 97 % target), the share of
// trade-like phrasings answered with a trade card or a question back (beside 100 %), and
// understand()'s p50/p99 per message on the set, beside a bare `/price/` regex test on the same messages.
import { understand } from '../src/bot/nlu/index.js';
import { UNSEEN, judge, tradeSafe } from '../test/bot/nlu-unseen.js';
import { higherIsBetter, lowerIsBetter, percentile, type BenchFigure, type BenchModule } from './lib.js';

let sink = 0;

/** µs per call of `fn(text)` for each message, each sample the mean of `inner` calls; `passes` rounds over all messages. */
function perMessageMicros(messages: readonly string[], fn: (text: string) => unknown, passes: number, inner: number): number[] {
  const samples: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const m of messages) {
      const t = performance.now();
      for (let i = 0; i < inner; i++) if (fn(m)) sink++;
      samples.push(((performance.now() - t) * 1000) / inner);
    }
  }
  return samples;
}

const bench: BenchModule = async (ctx) => {
  const right = UNSEEN.filter((c) => judge(c, understand(c.text)));
  const trades = UNSEEN.filter((c) => c.trade);
  const safe = trades.filter((c) => tradeSafe(understand(c.text)));
  const rate = (100 * right.length) / UNSEEN.length;
  const safeRate = (100 * safe.length) / trades.length;
  const byBatch = ([1, 2] as const).map((b) => {
    const set = UNSEEN.filter((c) => c.batch === b);
    return `batch ${b}: ${set.filter((c) => judge(c, understand(c.text))).length}/${set.length}`;
  });
  ctx.log(`unseen set: ${right.length}/${UNSEEN.length} right (${rate.toFixed(1)} %; ${byBatch.join(', ')}); trade-like answered with a card or a question: ${safe.length}/${trades.length}`);
  for (const c of UNSEEN) if (!right.includes(c)) ctx.log(`  miss: ${c.text}`);

  const messages = UNSEEN.map((c) => c.text);
  const price = /price/;
  const ours = (t: string): unknown => understand(t).kind === 'tool';
  const bare = (t: string): unknown => price.test(t);
  perMessageMicros(messages, ours, 10, 5);
  perMessageMicros(messages, bare, 10, 5);
  const a = perMessageMicros(messages, ours, 20, 10);
  const b = perMessageMicros(messages, bare, 20, 10);
  ctx.log(`understand() on the unseen set: p50 ${percentile(a, 50).toFixed(2)} µs, p99 ${percentile(a, 99).toFixed(2)} µs over ${messages.length} phrasings`);
  const note = `reference: /price/.test on the same ${messages.length} messages`;
  const figures: BenchFigure[] = [
    higherIsBetter('chat.nlu.unseen_rate', rate, '%', 97, `${right.length}/${UNSEEN.length} right; reference: the 97 % target`),
    higherIsBetter('chat.nlu.unseen_trade_safe', safeRate, '%', 100, `${safe.length}/${trades.length} trade-like phrasings → trade card or question; reference: 100 %`),
    lowerIsBetter('chat.nlu.unseen_understand_p50', percentile(a, 50), 'µs', percentile(b, 50), note),
    lowerIsBetter('chat.nlu.unseen_understand_p99', percentile(a, 99), 'µs', percentile(b, 99), note),
  ];
  if (sink < 0) ctx.log('unreachable');
  return figures;
};

export default bench;
