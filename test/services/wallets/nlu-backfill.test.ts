// "watch 0x… as smart whale with the last 7 days of history" in chat: the backfill clause becomes
// watch-wallet's backfillDays (Hyperliquid) or backfillBlocks (Ethereum; days at 7,200 blocks a day,
// capped at the tool's 50,000), the label stays clean, and every answer passes the tool's own schema.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { understand } from '../../../src/bot/nlu/index.js';
import { TOOLS } from '../../../src/tools/index.js';

const A = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const schema = z.object(TOOLS.find((t) => t.name === 'watch-wallet')!.input).strict();

describe('watch with history', () => {
  it.each([
    [`watch ${A} as smart whale with the last 2 days of history`, { address: A, label: 'smart whale', backfillBlocks: 14_400 }],
    [`watch ${A} with 20,000 blocks of history`, { address: A, backfillBlocks: 20_000 }],
    [`track ${A} as big fish and backfill 30 days`, { address: A, label: 'big fish', backfillBlocks: 50_000 }],
    [`follow hyperliquid trader ${A} as degen with the past 7 days`, { address: A, chain: 'hyperliquid', label: 'degen', backfillDays: 7 }],
  ])('%s', (text, args) => {
    const intent = understand(text);
    expect(intent.kind, JSON.stringify(intent)).toBe('tool');
    if (intent.kind !== 'tool') return;
    expect(intent.tool).toBe('watch-wallet');
    expect(intent.args).toStrictEqual(args);
    const parsed = schema.safeParse(intent.args);
    expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
  });

  it('a label that merely mentions days is not a backfill', () => {
    const intent = understand(`watch ${A} as 30 days whale`);
    expect(intent.kind === 'tool' ? intent.args : intent).toStrictEqual({ address: A, label: '30 days whale' });
  });
});
