import { describe, expect, it } from 'vitest';
import { advance, headersToFetch, type BlockHeader, type ChainCursor, type CursorOptions, type CursorStep } from '../../../src/domain/wallets/reorg.js';

const hashOf = (branch: string, n: number): string => `0x${branch}${n.toString(16).padStart(63, '0')}`;

/** Blocks `from..to` of a branch whose first block's parent is `parent`. */
function branch(tag: string, from: number, to: number, parent: string): BlockHeader[] {
  const out: BlockHeader[] = [];
  let p = parent;
  for (let n = from; n <= to; n++) {
    const h = { number: n, hash: hashOf(tag, n), parentHash: p };
    out.push(h);
    p = h.hash;
  }
  return out;
}

/** Chain A from block 0 to `to`; `forkAt` replaces A from that block with branch B. */
function chain(to: number, forkAt?: number): Map<number, BlockHeader> {
  const a = branch('a', 0, to, hashOf('0', 0));
  if (forkAt === undefined) return new Map(a.map((h) => [h.number, h]));
  const kept = a.filter((h) => h.number < forkAt);
  const b = branch('b', forkAt, to, kept.at(-1)!.hash);
  return new Map([...kept, ...b].map((h) => [h.number, h]));
}

const opts: CursorOptions = { confirmations: 3, maxBatch: 10, keep: 8 };

function step(cursor: ChainCursor, head: number, headers: Map<number, BlockHeader>, o = opts): CursorStep {
  const r = advance(cursor, head, headers.values(), o);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A cursor that processed chain A's blocks `from..to`, keeping the last `keep`. */
function processed(from: number, to: number, keep = opts.keep): ChainCursor {
  const a = chain(to);
  return { startBlock: from, recent: [...a.values()].filter((h) => h.number >= from).slice(-keep) };
}

describe('reorg-aware cursor: the normal path', () => {
  it('processes only blocks with enough confirmations, from the start block', () => {
    const cursor: ChainCursor = { startBlock: 100, recent: [] };
    expect(headersToFetch(cursor, 105, opts), 'head 105 with 3 confirmations: up to 103').toEqual({ from: 100, to: 103 });
    const s = step(cursor, 105, chain(105));
    expect(s.kind).toBe('process');
    if (s.kind !== 'process') return;
    expect(s.blocks.map((b) => b.number)).toEqual([100, 101, 102, 103]);
    expect(s.next.recent.at(-1)!.number).toBe(103);
  });

  it('bounds a step to maxBatch blocks and the kept headers to keep', () => {
    const s = step({ startBlock: 0, recent: [] }, 1000, chain(1000), { confirmations: 1, maxBatch: 25, keep: 4 });
    if (s.kind !== 'process') throw new Error(s.kind);
    expect(s.blocks).toHaveLength(25);
    expect(s.next.recent.map((h) => h.number)).toEqual([21, 22, 23, 24]);
  });

  it('re-checks the last processed block and then continues after it', () => {
    const cursor = processed(100, 110);
    expect(headersToFetch(cursor, 120, opts)).toEqual({ from: 110, to: 118 });
    const s = step(cursor, 120, chain(120));
    if (s.kind !== 'process') throw new Error(s.kind);
    expect(s.blocks.map((b) => b.number)).toEqual([111, 112, 113, 114, 115, 116, 117, 118]);
  });

  it('is idle while the next block lacks confirmations', () => {
    const cursor = processed(100, 110);
    const s = step(cursor, 112, chain(112));
    expect(s).toEqual({ kind: 'idle', reason: 'block 111 has 2 of 3 confirmations' });
    expect(headersToFetch(cursor, 112, opts), 'still re-checks the last block').toEqual({ from: 110, to: 110 });
  });

  it('asks for headers it was not given, and retries when they do not link', () => {
    const cursor = processed(100, 110);
    const partial = new Map([...chain(120)].filter(([n]) => n <= 112));
    expect(step(cursor, 120, partial)).toEqual({ kind: 'need_headers', range: { from: 113, to: 118 } });
    const mixed = chain(120);
    mixed.set(115, chain(120, 115).get(115)!); // 115 from another branch: the chain moved mid-fetch
    const s = step(cursor, 120, mixed);
    expect(s.kind).toBe('retry');
  });

  it('refuses nonsense options and a broken stored cursor', () => {
    const bad = advance({ startBlock: 0, recent: [] }, 10, [], { confirmations: 0, maxBatch: 1, keep: 1 });
    expect(!bad.ok && bad.error.message).toBe('confirmations must be a whole number of at least 1, got 0');
    const broken = processed(100, 105);
    const r = advance({ ...broken, recent: [broken.recent[0]!, broken.recent[2]!] }, 120, chain(120).values(), opts);
    expect(!r.ok && r.error.message).toMatch(/stored cursor is broken at block 102/);
  });
});

describe('reorg-aware cursor: reorganisations', () => {
  it('detects a reorg of depth 1 and retracts exactly the replaced block', () => {
    const cursor = processed(100, 110);
    const b = chain(120, 110);
    const first = step(cursor, 120, new Map([...b].filter(([n]) => n >= 110)));
    expect(first, 'walking back needs the kept window').toEqual({ kind: 'need_headers', range: { from: 102, to: 110 } });
    const s = step(cursor, 120, b);
    if (s.kind !== 'reorg') throw new Error(s.kind);
    expect(s.depth).toBe(1);
    expect(s.retract).toEqual({ from: 110, to: 110 });
    expect(s.commonAncestor?.number).toBe(109);
    expect(s.next.recent.at(-1)!.hash, 'rewound to block 109 of the surviving chain').toBe(b.get(109)!.hash);
    const after = step(s.next, 120, b);
    if (after.kind !== 'process') throw new Error(after.kind);
    expect(after.blocks[0], 'the replacement block 110 is processed next').toEqual(b.get(110));
  });

  it('detects a reorg of depth 3', () => {
    const s = step(processed(100, 110), 120, chain(120, 108));
    if (s.kind !== 'reorg') throw new Error(s.kind);
    expect([s.depth, s.retract]).toEqual([3, { from: 108, to: 110 }]);
    expect(s.next.recent.map((h) => h.number).at(-1)).toBe(107);
  });

  it('undoes a reorg that replaced every kept block when the oldest one\'s parent survived', () => {
    const cursor = processed(100, 110, 5); // keeps 106..110
    const s = step(cursor, 120, chain(120, 106), { ...opts, keep: 5 });
    if (s.kind !== 'reorg') throw new Error(s.kind);
    expect(s.retract).toEqual({ from: 106, to: 110 });
    expect(s.next).toEqual({ startBlock: 106, recent: [] });
  });

  it('stops with instructions for the operator when the reorg is deeper than the kept window', () => {
    const cursor = processed(100, 110, 5); // keeps 106..110; the fork at 104 replaced 105 too
    const s = step(cursor, 120, chain(120, 104), { ...opts, keep: 5 });
    if (s.kind !== 'too_deep') throw new Error(s.kind);
    expect(s.retract).toEqual({ from: 106, to: 110 });
    expect(s.message).toMatch(/deeper than the 5 blocks the cursor keeps: blocks 106–110 were all replaced/);
    expect(s.message).toMatch(/retract the stored events from that block onward, reset the cursor/);
    expect(s.message).toMatch(/raise the kept window/);
  });

  it('ingests every canonical block exactly once across a reorg (simulated service loop)', () => {
    const stored = new Map<number, string>(); // block → hash of the block whose events are stored
    let cursor: ChainCursor = { startBlock: 0, recent: [] };
    const o: CursorOptions = { confirmations: 2, maxBatch: 4, keep: 6 };
    const run = (headers: Map<number, BlockHeader>, head: number): void => {
      for (let i = 0; i < 100; i++) {
        const s = step(cursor, head, headers, o);
        if (s.kind === 'idle') return;
        if (s.kind === 'process') {
          for (const b of s.blocks) {
            expect(stored.has(b.number), `block ${String(b.number)} is not processed twice`).toBe(false);
            stored.set(b.number, b.hash);
          }
          cursor = s.next;
        } else if (s.kind === 'reorg') {
          for (let n = s.retract.from; n <= s.retract.to; n++) stored.delete(n);
          cursor = s.next;
        } else throw new Error(`unexpected ${s.kind}`);
      }
      throw new Error('did not settle in 100 steps');
    };
    run(chain(20), 20);
    expect([...stored.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const forked = chain(30, 16);
    run(forked, 30);
    expect(stored.size).toBe(30);
    for (const [n, hash] of stored) expect(hash, `block ${String(n)} is the surviving chain's`).toBe(forked.get(n)!.hash);
  });
});
