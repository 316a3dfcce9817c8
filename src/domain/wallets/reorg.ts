// A reorg-aware block cursor for chain ingestion, as a pure decision: given what was processed and
// the headers the chain shows now, say which blocks to process next, or which processed blocks the
// chain has abandoned and whose events must be retracted. The ingestion service does the fetching
// and the writing; this module only decides, so every reorg case is tested without a node.
//
// Terms:
// - Confirmations of block n at chain head h: h − n + 1 (the head itself has one). A block is
//   processed only once it has at least `confirmations` of them, so a shallow reorg never touches
//   processed blocks; a deeper one is detected and undone.
// - The cursor keeps the headers (number, hash, parent hash) of the last `keep` processed blocks, in
//   order. The last one is the cursor position. Its hash is the whole chain's fingerprint: if the
//   chain still has that hash at that height, everything before it is unchanged too.
//
// Protocol (one step; the service loops over steps, a bounded number of times):
// 1. `headersToFetch(cursor, head, opts)` → the block range whose headers the step needs: the last
//    processed block (to check it is still on the chain) through the next confirmed batch.
// 2. `advance(cursor, head, headers, opts)` →
//    - `process`: blocks to ingest now, in order, and the cursor to store in the same transaction as
//      their events;
//    - `reorg`: the last processed blocks were replaced; retract stored events of blocks
//      `retract.from … retract.to` and store `next` (rewound to the last common block), in one
//      transaction; the next step re-ingests the replacement blocks;
//    - `need_headers`: walking back to the common block needs headers not supplied yet;
//    - `retry`: the headers contradict each other (the chain moved between fetches); fetch again;
//    - `idle`: nothing confirmed beyond the cursor yet;
//    - `too_deep`: the chain replaced every block the cursor still remembers. Nothing is decided
//      automatically; the message tells the operator what to do.
import { DomainErrorCode, fail, ok, type Result } from '../result.js';

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
}

export interface ChainCursor {
  /** The first block to process when nothing has been processed yet. */
  startBlock: number;
  /** Headers of the last processed blocks, ascending and contiguous; the last is the cursor position. */
  recent: readonly BlockHeader[];
}

export interface CursorOptions {
  /** Confirmations a block needs before it is processed (≥ 1). */
  confirmations: number;
  /** Most blocks handed out in one `process` step (≥ 1). */
  maxBatch: number;
  /** How many processed headers the cursor keeps for reorg detection (≥ 1); the deepest reorg it can undo. */
  keep: number;
}

export interface BlockRange {
  from: number;
  to: number;
}

export type CursorStep =
  | { kind: 'process'; blocks: BlockHeader[]; next: ChainCursor }
  | { kind: 'reorg'; depth: number; retract: BlockRange; commonAncestor: BlockHeader | null; next: ChainCursor }
  | { kind: 'need_headers'; range: BlockRange }
  | { kind: 'retry'; reason: string }
  | { kind: 'idle'; reason: string }
  | { kind: 'too_deep'; message: string; retract: BlockRange };

function validOptions(opts: CursorOptions): Result<CursorOptions> {
  for (const [name, v] of [['confirmations', opts.confirmations], ['maxBatch', opts.maxBatch], ['keep', opts.keep]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) return fail(DomainErrorCode.invalidInput, `${name} must be a whole number of at least 1, got ${String(v)}`);
  }
  return ok(opts);
}

const sameHash = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The highest block with enough confirmations at chain head `head`. */
export function confirmedTip(head: number, confirmations: number): number {
  return head - confirmations + 1;
}

/** The next block the cursor would process. */
export function nextBlock(cursor: ChainCursor): number {
  const last = cursor.recent.at(-1);
  return last ? last.number + 1 : cursor.startBlock;
}

/**
 * Headers the next `advance` needs: the last processed block (re-checked for a reorg) and the next
 * confirmed batch. Null when there is nothing to check or process yet.
 */
export function headersToFetch(cursor: ChainCursor, head: number, opts: CursorOptions): BlockRange | null {
  const valid = validOptions(opts);
  if (!valid.ok) throw new RangeError(valid.error.message);
  const next = nextBlock(cursor);
  const last = cursor.recent.at(-1);
  const to = Math.min(next + opts.maxBatch - 1, confirmedTip(head, opts.confirmations));
  const from = last ? last.number : next;
  if (to < next) return last && last.number <= head ? { from: last.number, to: last.number } : null;
  return { from, to };
}

/** Checks the cursor's own shape: ascending, contiguous, each header linked to the one before. */
export function checkCursor(cursor: ChainCursor): Result<ChainCursor> {
  for (let i = 1; i < cursor.recent.length; i++) {
    const prev = cursor.recent[i - 1]!;
    const cur = cursor.recent[i]!;
    if (cur.number !== prev.number + 1 || !sameHash(cur.parentHash, prev.hash)) {
      return fail(DomainErrorCode.invalidInput, `stored cursor is broken at block ${String(cur.number)}: its headers are not one linked chain; reset the cursor for this chain`);
    }
  }
  return ok(cursor);
}

/** Decides the next step. `headers` may hold more than needed; missing ones are asked for. */
export function advance(cursor: ChainCursor, head: number, headers: Iterable<BlockHeader>, opts: CursorOptions): Result<CursorStep> {
  const valid = validOptions(opts);
  if (!valid.ok) return valid;
  const checked = checkCursor(cursor);
  if (!checked.ok) return checked;
  const byNumber = new Map<number, BlockHeader>();
  for (const h of headers) byNumber.set(h.number, h);
  const last = cursor.recent.at(-1);
  const next = nextBlock(cursor);
  const tip = confirmedTip(head, opts.confirmations);

  // 1. Is the last processed block still on the chain?
  if (last) {
    if (last.number > head) return ok({ kind: 'idle', reason: `the chain head ${String(head)} is below the cursor (${String(last.number)}); waiting for it to grow back` });
    const onChain = byNumber.get(last.number);
    if (!onChain) return ok({ kind: 'need_headers', range: { from: last.number, to: last.number } });
    if (!sameHash(onChain.hash, last.hash)) return ok(rewind(cursor, byNumber));
  }

  // 2. The next confirmed batch, linked to the cursor and to each other.
  const to = Math.min(next + opts.maxBatch - 1, tip);
  if (to < next) {
    return ok({ kind: 'idle', reason: `block ${String(next)} has ${String(Math.max(0, head - next + 1))} of ${String(opts.confirmations)} confirmations` });
  }
  const blocks: BlockHeader[] = [];
  let prev = last;
  for (let n = next; n <= to; n++) {
    const h = byNumber.get(n);
    if (!h) return ok({ kind: 'need_headers', range: { from: n, to } });
    if (prev && !sameHash(h.parentHash, prev.hash)) {
      return ok({ kind: 'retry', reason: `block ${String(n)} does not link to block ${String(prev.number)} (the chain moved while headers were fetched)` });
    }
    blocks.push(h);
    prev = h;
  }
  return ok({ kind: 'process', blocks, next: { startBlock: cursor.startBlock, recent: [...cursor.recent, ...blocks].slice(-opts.keep) } });
}

/** The last processed block was replaced: find the newest kept block the chain still has. */
function rewind(cursor: ChainCursor, byNumber: ReadonlyMap<number, BlockHeader>): CursorStep {
  const recent = cursor.recent;
  const last = recent.at(-1)!;
  const oldest = recent[0]!;
  // Headers from the oldest kept block's parent (the common block if the whole window was replaced).
  const span: BlockRange = { from: Math.max(0, oldest.number - 1), to: last.number };
  for (let i = recent.length - 1; i >= 0; i--) {
    const kept = recent[i]!;
    const onChain = byNumber.get(kept.number);
    if (!onChain) return { kind: 'need_headers', range: span };
    if (sameHash(onChain.hash, kept.hash)) {
      const retract = { from: kept.number + 1, to: last.number };
      return {
        kind: 'reorg',
        depth: retract.to - retract.from + 1,
        retract,
        commonAncestor: kept,
        next: { startBlock: cursor.startBlock, recent: recent.slice(0, i + 1) },
      };
    }
  }
  // The whole window was replaced. If the oldest kept block's parent is still on the chain, the
  // rewind is still exact: the parent is the common block.
  const parent = byNumber.get(oldest.number - 1);
  if (!parent && oldest.number > 0) return { kind: 'need_headers', range: span };
  if (parent && sameHash(parent.hash, oldest.parentHash)) {
    const retract = { from: oldest.number, to: last.number };
    return { kind: 'reorg', depth: retract.to - retract.from + 1, retract, commonAncestor: parent, next: { startBlock: oldest.number, recent: [] } };
  }
  const retract = { from: oldest.number, to: last.number };
  return {
    kind: 'too_deep',
    retract,
    message:
      `chain reorganisation deeper than the ${String(recent.length)} blocks the cursor keeps: blocks ${String(oldest.number)}–${String(last.number)} ` +
      `were all replaced, so the last block both sides agree on is unknown. Ingestion for this chain is stopped. ` +
      `To recover: pick a block you trust as final (e.g. the chain's finalized block, well below ${String(oldest.number)}), retract the stored events ` +
      `from that block onward, reset the cursor to start there, and raise the kept window (keep) above the depth of this reorg.`,
  };
}
