// The offline understanding on phrasings it was not written from (test/bot/nlu-unseen.ts): trade-like
// messages only ever become a trade card or a question back, the rate of right answers does not
// fall below what was reached, and every call it makes is valid against the tool's own input schema.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseAlertCondition } from '../../src/domain/alert-conditions.js';
import { PHRASEBOOK, understand, type Intent } from '../../src/bot/nlu/index.js';
import { fixTypos } from '../../src/bot/nlu/canonical.js';
import { TOOLS } from '../../src/tools/index.js';
import { UNSEEN, judge, tradeSafe } from './nlu-unseen.js';

/**
 * The share of the set understood right when this floor was set (728 of 730; 758 of 760 with batch 4,
 * the shadow questions; 780 of 782 with batch 5, the backtests; 812 of 814 with batches 6 and 7, the
 * predictions). It is a regression
 * floor, not a target: raise it when the understanding improves, never lower it to make a change pass.
 */
const RATE_FLOOR = 0.997;

function shown(intent: Intent): string {
  if (intent.kind === 'tool') return `${intent.tool} ${JSON.stringify(intent.args)}`;
  return `${intent.kind}: ${'text' in intent ? intent.text : JSON.stringify(intent)}`;
}

describe('the unseen set', () => {
  it('holds at least 500 distinct phrasings, none of them a phrasebook example', () => {
    expect(UNSEEN.length, 'the brief asks for at least 500 phrasings').toBeGreaterThanOrEqual(500);
    expect(new Set(UNSEEN.map((c) => c.text)).size, 'no phrasing is listed twice').toBe(UNSEEN.length);
    const phrasebook = new Set(PHRASEBOOK.map((p) => p.text.toLowerCase()));
    expect(UNSEEN.filter((c) => phrasebook.has(c.text.toLowerCase())).map((c) => c.text), 'the set is kept apart from the grammar\'s own examples').toEqual([]);
    expect(UNSEEN.filter((c) => c.trade).length, 'a large share of the set asks to trade').toBeGreaterThan(200);
  });

  it.each(UNSEEN.filter((c) => c.trade).map((c) => [c.text, c] as const))('trade-like “%s” → a trade card or a question back', (_t, c) => {
    const intent = understand(c.text);
    expect(tradeSafe(intent), `“${c.text}” asks to trade, so it must become a trade card or a question, never anything else; got ${shown(intent)}`).toBe(true);
  });

  it(`understands at least ${RATE_FLOOR * 100}% of the set right`, () => {
    const misses = UNSEEN.filter((c) => !judge(c, understand(c.text))).map((c) => `${c.text} → ${shown(understand(c.text))}`);
    const rate = (UNSEEN.length - misses.length) / UNSEEN.length;
    expect(rate, `the rate fell below the floor; misses:\n${misses.join('\n')}`).toBeGreaterThanOrEqual(RATE_FLOOR);
  });

  it('makes only calls the tools accept: every argument named and typed as the tool\'s input schema says', () => {
    const schemas = new Map(TOOLS.map((t) => [t.name, z.object(t.input).strict()]));
    const bad: string[] = [];
    for (const text of [...UNSEEN.map((c) => c.text), ...PHRASEBOOK.map((p) => p.text)]) {
      const intent = understand(text);
      if (intent.kind !== 'tool') continue;
      const schema = schemas.get(intent.tool);
      if (!schema) {
        bad.push(`${text}: no tool ${intent.tool}`);
        continue;
      }
      const parsed = schema.safeParse(intent.args);
      if (!parsed.success) bad.push(`${text}: ${shown(intent)}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      if (intent.tool === 'create-alert') {
        const c = parseAlertCondition(intent.args.condition);
        if (!c.ok) bad.push(`${text}: alert condition: ${c.error}`);
      }
    }
    expect(bad, 'each call validates against its tool\'s schema').toEqual([]);
  });
});

describe('generalising without guessing', () => {
  it.each([
    ['long term outlook for eth', 'analyze-market'],
    ['is there a buy wall on btc', undefined],
    ['my sol short', 'get-positions'],
    ['eth long or short?', 'analyze-market'],
    ['short squeeze on sol', undefined],
    ['what did i buy today', 'get-trades'],
  ] as const)('“%s” uses a trade word without asking to trade', (text, tool) => {
    const intent = understand(text);
    expect(intent.kind === 'tool' && intent.effect === 'trade', `“${text}” is not an order: ${shown(intent)}`).toBe(false);
    if (tool) expect(intent.kind === 'tool' ? intent.tool : shown(intent), `“${text}” is understood`).toBe(tool);
  });

  it.each([
    'fade this eth pump, short 0.5 eth and more words after',
    'yolo into bonk',
    'ape',
    'buy buy buy',
    'sell it all before it dumps, the sol',
  ])('a trade-like message (“%s”) becomes a trade card or a question back, never a read', (text) => {
    const intent = understand(text);
    expect(tradeSafe(intent), `“${text}”: ${shown(intent)}`).toBe(true);
  });

  it('corrects typos of keywords and coin names, never a word of its own or a keyword with a suffix', () => {
    expect(fixTypos('pirce of etherium')).toBe('price of ethereum');
    expect(fixTypos('cancle order')).toBe('cancel order');
    expect(fixTypos('show postions')).toBe('show positions');
    expect(fixTypos('aleart me')).toBe('alert me');
    for (const kept of ['how much did i lose today', 'closed positions', 'alerts', 'prices', 'orders', 'chat with me', 'the analyst said', 'trade history', '$ETHEREUM']) {
      expect(fixTypos(kept), `“${kept}” is left as written`).toBe(kept);
    }
  });
});
