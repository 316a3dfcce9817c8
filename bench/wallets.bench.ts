// Watched wallets (issue 13, "Measured").
// (1) Ingest: events per second of MIKEY's EVM ingestion (EvmIngestion.runOnce, its normal entry point,
//     with the production defaults — 12 confirmations, 20 blocks per step, 10 steps and 500 requests
//     per run, each step's commit overlapping the next step's fetch, a step's events, analyses and
//     cursor written by one statement — storing on PGlite on a data directory, as `mikey serve` runs
//     it, then on PGlite in memory in this process, as the tests run it, and on Postgres when
//     BENCH_DATABASE_URL or TEST_DATABASE_URL is set) against the local JSON-RPC node the ingestion
//     tests use (test/services/wallets/fake-evm-rpc.ts on 127.0.0.1, mined and served from
//     its own worker thread, as a node serves from its own process: its work of building and
//     encoding answers, four times as much for the ingestion as for the bare side, is not on the
//     measured thread), beside
//     the bare viem client's `getLogs` over the same blocks against the same node: the same two
//     ERC-20 Transfer filters the ingestion asks (a watched address as `from`, then as `to`), in the
//     same 20-block ranges, decoded by viem, nothing stored. The chain: WALLETS_BENCH_BLOCKS blocks
//     (default 200) of 10 transactions each with one USDC or WETH Transfer, half sent by a watched
//     wallet (so the ingestion also reads that transaction's receipt, as it does for every
//     transaction a watched wallet sends), half paying one; 50 watched wallets; every log is one
//     event. The scripted node answers `eth_getBlockReceipts` (as geth, erigon, nethermind, reth and
//     the hosted providers do), so the ingestion reads receipts one call per block holding a watched
//     sender's transaction (every block here) instead of one per transaction. runOnce is called until
//     the cursor reaches the confirmed tip (a run that spends its request budget stops cleanly and the
//     next resumes, as under the scheduler; at 500 calls a run, the ~420 calls now fit in one). The
//     ingestion sends each step's blocks with its two getLogs as one JSON-RPC batch and its receipts as
//     another (up to 50 calls a POST; every call still counts against the budget), ~22 HTTP requests
//     in all. Two rounds alternating with the bare side, the events cleared between them; the best of
//     each is kept.
//     Ratio = ingestion events/s ÷ bare events/s, target ≥ 0.5. Prices: stablecoins only (the
//     bench has no candles), so WETH transfers carry no notional. The ingestion is handed a fetch
//     that times its requests, only to log how much of its time is spent waiting on the node.
//     The same again against a real local node (ganache over HTTP, test/services/wallets/evm-node.ts,
//     also served from its own worker thread):
//     WALLETS_BENCH_NODE_BLOCKS blocks (default 120) of one real ERC-20 transfer each, sent by or
//     paying one of 8 watched accounts, every transaction executed by the node's EVM. Ganache has no
//     `eth_getBlockReceipts`: the ingestion asks it once, is refused, and reads each sent
//     transaction's receipt from then on.
// (2) Score recomputation for 1,000 wallets × 10,000 events (10 per wallet, seeded): each wallet's
//     credibilityScores (1 h, 4 h, 24 h) and archetypeOf from domain/wallets/credibility.ts, then
//     marketBias (domain/wallets/bias.ts) of the 10,000 events for each timeframe weighted by those
//     scores — beside a bare loop over the same numbers as plain floats (hits, Wilson low end, mean
//     directional return, up share, the weighted bias sums), whose results are checked against the
//     domain's. Best of 5 alternating rounds; no target (the issue asks for the time).
// Sized to finish in about 30 s on a 2-core machine; WALLETS_BENCH_BLOCKS scales the chain.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createPublicClient, http, parseAbiItem, type Address as ViemAddress } from 'viem';
import { startFakeEvmRpcThread, transferLog, type FakeEvmRpcThread, type FakeTx } from '../test/services/wallets/fake-evm-rpc.js';
import { Random } from '../src/adapters/sim-market/random.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { onchainEvents, users, walletWatches, wallets } from '../src/db/schema/index.js';
import { D, type Dec } from '../src/domain/money.js';
import { marketBias, type BiasEvent, type BiasTimeframe, type ScorePoint } from '../src/domain/wallets/bias.js';
import { CREDIBILITY_WINDOWS, archetypeOf, credibilityScores, type CredibilityWindow, type EventOutcome, type ImpliedMove } from '../src/domain/wallets/credibility.js';
import { EvmIngestion, MAINNET_TOKENS } from '../src/services/wallets/evm-ingestion.js';
import { artifact, startLocalEvmNode } from '../test/services/wallets/evm-node.js';
import { higherIsBetter, lowerIsBetter, round, timeOnce, type BenchContext, type BenchFigure, scratchPostgres } from './lib.js';

const BLOCKS = Number(process.env.WALLETS_BENCH_BLOCKS ?? 200);
const NODE_BLOCKS = Number(process.env.WALLETS_BENCH_NODE_BLOCKS ?? 120);
const TXS_PER_BLOCK = 10;
const WATCHED = 50;
const STEP_BLOCKS = 20; // the ingestion's default maxBlocksPerStep; the bare side uses the same ranges
const CONFIRMATIONS = 12; // the ingestion's default
const SCORE_WALLETS = 1_000;
const EVENTS_PER_WALLET = 10;
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const WETH = '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2';
const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

const address = (n: number, fill: string): string => `0x${n.toString(16).padStart(4, '0')}${fill.repeat(18)}`;
const watchedAddress = (i: number): string => address(i + 1, 'ab');
const strangerAddress = (i: number): string => address(i + 1, 'cd');

/** A seeded uniform generator (the simulated market's mulberry32), so every run scores the same numbers. */
function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

// ───────────────────────────── (1) ingestion ─────────────────────────────

/** The scripted chain's blocks: BLOCKS blocks of TXS_PER_BLOCK ERC-20 transfers, each one log. */
function chainBlocks(): FakeTx[][] {
  const random = rng(13);
  const blocks: FakeTx[][] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const txs: FakeTx[] = [];
    for (let i = 0; i < TXS_PER_BLOCK; i++) {
      const whale = watchedAddress(Math.floor(random() * WATCHED));
      const other = strangerAddress(Math.floor(random() * 500));
      const usdc = random() < 0.5;
      const token = usdc ? USDC : WETH;
      const value = usdc ? BigInt(1_000 + Math.floor(random() * 1_000_000)) * 10n ** 6n : BigInt(1 + Math.floor(random() * 500)) * 10n ** 17n;
      const sent = i % 2 === 0;
      const [from, to] = sent ? [whale, other] : [other, whale];
      txs.push({ from, to: token, logs: [transferLog(token, from, to, value)] });
    }
    blocks.push(txs);
  }
  return blocks;
}

async function seedWatches(database: Database): Promise<void> {
  const [user] = await database.db.insert(users).values({ username: 'bench_whales', displayName: 'bench whales' }).returning({ id: users.id });
  const rows = await database.db
    .insert(wallets)
    .values(Array.from({ length: WATCHED }, (_, i) => ({ address: watchedAddress(i), chain: 'ethereum', label: `whale ${String(i + 1)}` })))
    .returning({ id: wallets.id });
  await database.db.insert(walletWatches).values(rows.map((r) => ({ userId: user!.id, walletId: r.id })));
}

async function clearIngested(database: Database): Promise<void> {
  await database.db.execute(sql`delete from event_analyses`);
  await database.db.execute(sql`delete from onchain_events`);
  await database.db.execute(sql`delete from ingestion_cursors`);
}

/** The normal entry point until the cursor reaches the confirmed tip. */
async function ingest(database: Database, chain: FakeEvmRpcThread): Promise<{ events: number; runs: number; requests: number; posts: number; rpcMs: number; statuses: Set<string> }> {
  const out = { events: 0, runs: 0, requests: 0, posts: 0, rpcMs: 0, statuses: new Set<string>() };
  // Only to say how much of the time is spent waiting on the node (requests, answers, JSON).
  const timedFetch: typeof fetch = async (input, init) => {
    const t = performance.now();
    out.posts++;
    const res = await fetch(input, init);
    const text = await res.text();
    out.rpcMs += performance.now() - t;
    return new Response(text, { status: res.status, headers: res.headers });
  };
  const ingestion = new EvmIngestion({ db: database.db, rpcUrl: chain.url, startBlock: 1, tokens: MAINNET_TOKENS, fetch: timedFetch });
  const tip = chain.head() - CONFIRMATIONS;
  for (;;) {
    const r = await ingestion.runOnce();
    out.runs++;
    out.events += r.eventsInserted;
    out.requests += r.requests;
    out.statuses.add(r.status);
    if (r.cursorBlock !== null && r.cursorBlock >= tip) return out;
    if (r.status !== 'ok' && r.status !== 'budget_exhausted') throw new Error(`ingestion stopped: ${r.status} ${r.message ?? ''}`);
    if (out.runs > 10 * BLOCKS) throw new Error('ingestion made no progress');
  }
}

/** The bare client: viem getLogs with the same two filters over the same ranges. */
async function bareGetLogs(chain: FakeEvmRpcThread): Promise<number> {
  const client = createPublicClient({ transport: http(chain.url) });
  const watched = Array.from({ length: WATCHED }, (_, i) => watchedAddress(i) as ViemAddress);
  const tip = chain.head() - CONFIRMATIONS;
  let logs = 0;
  for (let from = 1; from <= tip; from += STEP_BLOCKS) {
    const range = { fromBlock: BigInt(from), toBlock: BigInt(Math.min(tip, from + STEP_BLOCKS - 1)) };
    logs += (await client.getLogs({ event: TRANSFER, args: { from: watched }, ...range })).length;
    logs += (await client.getLogs({ event: TRANSFER, args: { to: watched }, ...range })).length;
  }
  return logs;
}

/**
 * A store to ingest into: PGlite in memory (as the tests run it), PGlite on a data directory (as
 * `mikey serve` runs it on the embedded default), or a scratch database on the Postgres server at
 * `postgresUrl`.
 */
interface Store {
  name: 'pglite' | 'pglite-data-dir' | 'postgres';
  where: string;
  database: Database;
  close(): Promise<void>;
}

async function openStore(kind: 'memory' | 'data-dir' | { postgresUrl: string }): Promise<Store> {
  if (kind === 'memory') {
    const database = await openDatabase({});
    await migrateDatabase(database);
    return { name: 'pglite', where: 'PGlite in memory', database, close: () => database.close() };
  }
  if (kind === 'data-dir') {
    const dir = mkdtempSync(join(tmpdir(), 'mikey-bench-wallets-'));
    const database = await openDatabase({ dataDir: dir });
    await migrateDatabase(database);
    return {
      name: 'pglite-data-dir',
      where: 'PGlite on a data directory, as mikey serve runs it',
      database,
      close: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const scratch = await scratchPostgres(kind.postgresUrl, 'mikey_bench_wallets');
  return { name: 'postgres', where: 'Postgres (a scratch database on the local server)', ...scratch };
}

async function measureIngest(log: (m: string) => void, kind: 'memory' | 'data-dir' | { postgresUrl: string }, latencyMs?: number): Promise<BenchFigure> {
  const store = await openStore(kind);
  const database = store.database;
  const blocks = chainBlocks();
  const logs = blocks.reduce((n, txs) => n + txs.length, 0);
  const chain = await startFakeEvmRpcThread({ genesisTime: Math.floor(Date.now() / 1000) - (BLOCKS + CONFIRMATIONS + 10) * 12, blocks, emptyBlocks: CONFIRMATIONS, ...(latencyMs !== undefined ? { latencyMs } : {}) });
  const away = latencyMs !== undefined ? ` answering each request after ${String(latencyMs)} ms (a remote node)` : '';
  try {
    await seedWatches(database);
    log(`ingest: ${BLOCKS} blocks × ${TXS_PER_BLOCK} ERC-20 transfers (${logs} logs, half sent by one of ${WATCHED} watched wallets) + ${CONFIRMATIONS} confirmations, node on ${chain.url}${away}`);
    const ours: number[] = [];
    const refs: number[] = [];
    for (let r = 0; r < 2; r++) {
      let bareLogs = 0;
      refs.push(await timeOnce(async () => { bareLogs = await bareGetLogs(chain); }));
      if (bareLogs !== logs) throw new Error(`the bare getLogs returned ${bareLogs} logs, expected ${logs}`);
      await clearIngested(database);
      let report: Awaited<ReturnType<typeof ingest>> | undefined;
      ours.push(await timeOnce(async () => { report = await ingest(database, chain); }));
      const [stored] = await database.db.select({ n: sql<number>`count(*)::int` }).from(onchainEvents);
      if (report!.events !== logs || stored!.n !== logs) throw new Error(`the ingestion stored ${stored!.n} events (reported ${report!.events}), expected ${logs}`);
      log(`ingest (${store.name}) round ${r + 1}: bare getLogs ${round(refs[r]!, 0)} ms; ingestion ${round(ours[r]!, 0)} ms in ${report!.runs} runs, ${report!.requests} calls in ${report!.posts} HTTP requests taking ${round(report!.rpcMs, 0)} ms of it (statuses: ${[...report!.statuses].join(', ')})`);
    }
    const ms = Math.min(...ours);
    const ref = Math.min(...refs);
    return higherIsBetter(
      `wallets.ingest.evm.${store.name}.${BLOCKS}-blocks${latencyMs !== undefined ? `.node-${String(latencyMs)}ms-away` : ''}`,
      logs / (ms / 1000),
      'events/s',
      logs / (ref / 1000),
      `EvmIngestion.runOnce to the confirmed tip (blocks with 2 getLogs, then the receipts of watched senders' blocks, per 20-block step, in JSON-RPC batches, decode, classify, store on ${store.where}; the next step's blocks and logs read while a step is decoded and committed) vs bare viem getLogs of the same filters and ranges, same local node${away}; ${logs} events; target ratio ≥ 0.5${latencyMs !== undefined ? ' (the target is for the node on loopback, the figures above; this one shows a hosted node\'s case)' : ''}`,
    );
  } finally {
    await chain.close();
    await store.close();
  }
}

/**
 * The same comparison against a real local node (ganache, test/services/wallets/evm-node.ts, over
 * HTTP on 127.0.0.1): a TestToken deployed, NODE_BLOCKS blocks of one real ERC-20 transfer each
 * (alternately sent by and paid to one of 8 watched accounts), 12 confirmations. Smaller than the
 * scripted chain: every transaction is executed by the node's EVM.
 */
async function measureIngestNode(log: (m: string) => void): Promise<BenchFigure> {
  const database = await openDatabase({});
  const node = await startLocalEvmNode({ time: new Date(Date.now() + 60_000), accounts: 17, thread: true });
  try {
    await migrateDatabase(database);
    const token = artifact('TestToken');
    const [deployer, ...rest] = node.accounts;
    const whales = rest.slice(0, 8);
    const others = rest.slice(8);
    const usdc = await node.deploy(token, deployer!, ['USDC', 6, 10n ** 15n]);
    for (const a of [...whales, ...others]) await node.write(token, usdc, deployer!, 'transfer', [a, 10n ** 12n]);
    const [user] = await database.db.insert(users).values({ username: 'bench_node', displayName: 'bench node' }).returning({ id: users.id });
    const rows = await database.db
      .insert(wallets)
      .values(whales.map((a, i) => ({ address: a, chain: 'ethereum', label: `node whale ${String(i + 1)}` })))
      .returning({ id: wallets.id });
    await database.db.insert(walletWatches).values(rows.map((r) => ({ userId: user!.id, walletId: r.id })));
    const start = (await node.head()) + 1;
    for (let b = 0; b < NODE_BLOCKS; b++) {
      const whale = whales[b % whales.length]!;
      const other = others[b % others.length]!;
      const [from, to] = b % 2 === 0 ? [whale, other] : [other, whale];
      await node.write(token, usdc, from, 'transfer', [to, BigInt(1_000 + b) * 10n ** 6n]);
    }
    await node.mine(CONFIRMATIONS);
    const tip = (await node.head()) - CONFIRMATIONS + 1;
    log(`ingest (real node): ${NODE_BLOCKS} blocks of one ERC-20 transfer each to or from one of ${whales.length} watched accounts + ${CONFIRMATIONS} confirmations, ganache on ${node.url}`);
    const client = createPublicClient({ transport: http(node.url) });
    const bare = async (): Promise<number> => {
      let n = 0;
      for (let from = start; from <= tip; from += STEP_BLOCKS) {
        const range = { fromBlock: BigInt(from), toBlock: BigInt(Math.min(tip, from + STEP_BLOCKS - 1)) };
        n += (await client.getLogs({ event: TRANSFER, args: { from: whales }, ...range })).length;
        n += (await client.getLogs({ event: TRANSFER, args: { to: whales }, ...range })).length;
      }
      return n;
    };
    const ours: number[] = [];
    const refs: number[] = [];
    for (let r = 0; r < 2; r++) {
      let bareLogs = 0;
      refs.push(await timeOnce(async () => { bareLogs = await bare(); }));
      if (bareLogs !== NODE_BLOCKS) throw new Error(`the bare getLogs returned ${bareLogs} logs, expected ${NODE_BLOCKS}`);
      await clearIngested(database);
      let events = 0;
      let runs = 0;
      ours.push(
        await timeOnce(async () => {
          const ingestion = new EvmIngestion({ db: database.db, rpcUrl: node.url, startBlock: start, tokens: new Map([[usdc, { symbol: 'USDC', decimals: 6 }]]) });
          for (;;) {
            const rep = await ingestion.runOnce();
            runs++;
            events += rep.eventsInserted;
            if (rep.cursorBlock !== null && rep.cursorBlock >= tip) return;
            if ((rep.status !== 'ok' && rep.status !== 'budget_exhausted') || runs > NODE_BLOCKS) throw new Error(`ingestion stopped: ${rep.status} ${rep.message ?? ''}`);
          }
        }),
      );
      if (events !== NODE_BLOCKS) throw new Error(`the ingestion stored ${events} events, expected ${NODE_BLOCKS}`);
      log(`ingest (real node) round ${r + 1}: bare getLogs ${round(refs[r]!, 0)} ms; ingestion ${round(ours[r]!, 0)} ms in ${runs} runs`);
    }
    const ms = Math.min(...ours);
    const ref = Math.min(...refs);
    return higherIsBetter(
      `wallets.ingest.evm-node.pglite.${NODE_BLOCKS}-blocks`,
      NODE_BLOCKS / (ms / 1000),
      'events/s',
      NODE_BLOCKS / (ref / 1000),
      `as above against a real local node (ganache over HTTP, no eth_getBlockReceipts: receipts per transaction): ${NODE_BLOCKS} real ERC-20 transfers, one a block; target ratio ≥ 0.5`,
    );
  } finally {
    await node.close();
    await database.close();
  }
}

// ───────────────────────────── (2) score recomputation ─────────────────────────────

interface RawEvent {
  walletId: string;
  implied: ImpliedMove;
  priceAt: string;
  /** Null: that window has not passed. */
  after: Record<CredibilityWindow, string | null>;
  occurredAt: number;
  biasImpact: number;
  confidence: number;
  notional: string;
}

interface ScoreInput {
  at: Date;
  raw: RawEvent[];
  outcomes: Map<string, EventOutcome[]>;
  archetypeEvents: Map<string, Array<{ implied: ImpliedMove }>>;
  biasEvents: BiasEvent[];
}

function scoreInput(): ScoreInput {
  const random = rng(7);
  const at = new Date(Date.UTC(2026, 11, 1));
  const raw: RawEvent[] = [];
  for (let w = 0; w < SCORE_WALLETS; w++) {
    const walletId = `w${String(w).padStart(4, '0')}`;
    const skill = 0.35 + random() * 0.3; // chance its move is followed by the price
    for (let e = 0; e < EVENTS_PER_WALLET; e++) {
      const u = random();
      const implied: ImpliedMove = u < 0.1 ? 'neutral' : u < 0.6 ? 'up' : 'down';
      const price = 2_000 + random() * 2_000;
      const move = (x: number): string => {
        const sign = (random() < skill ? 1 : -1) * (implied === 'down' ? -1 : 1);
        return (price * (1 + sign * x * (0.2 + random()))).toFixed(2);
      };
      const age = random() * 48 * 3_600_000; // up to two days before `at`
      raw.push({
        walletId,
        implied,
        priceAt: price.toFixed(2),
        after: { '1h': age > 3_600_000 ? move(0.005) : null, '4h': age > 14_400_000 ? move(0.01) : null, '24h': age > 86_400_000 ? move(0.03) : null },
        occurredAt: at.getTime() - age,
        biasImpact: implied === 'neutral' ? 0 : (implied === 'up' ? 1 : -1) * round(0.2 + random() * 0.6, 2),
        confidence: round(0.3 + random() * 0.6, 2),
        notional: (10 ** (3 + random() * 4)).toFixed(2),
      });
    }
  }
  const outcomes = new Map<string, EventOutcome[]>();
  const archetypeEvents = new Map<string, Array<{ implied: ImpliedMove }>>();
  for (const r of raw) {
    const after: Partial<Record<CredibilityWindow, Dec | null>> = {};
    for (const win of CREDIBILITY_WINDOWS) after[win] = r.after[win] === null ? null : new D(r.after[win]);
    (outcomes.get(r.walletId) ?? outcomes.set(r.walletId, []).get(r.walletId)!).push({ implied: r.implied, priceAtEvent: new D(r.priceAt), priceAfter: after });
    (archetypeEvents.get(r.walletId) ?? archetypeEvents.set(r.walletId, []).get(r.walletId)!).push({ implied: r.implied });
  }
  const biasEvents: BiasEvent[] = raw.map((r, i) => ({
    eventId: `e${String(i)}`,
    walletId: r.walletId,
    occurredAt: new Date(r.occurredAt),
    retractedAt: null,
    biasImpact: r.biasImpact,
    confidence: r.confidence,
    notionalUsd: new D(r.notional),
    sizeFraction: null,
  }));
  return { at, raw, outcomes, archetypeEvents, biasEvents };
}

interface ScoreResult {
  credibility: Map<string, Record<CredibilityWindow, number>>;
  hits: number;
  /** Σ of the mean directional returns over wallets and windows. */
  returns: number;
  bias: Record<BiasTimeframe, number>;
  ups: number;
}

/** Every wallet scored by the domain, then the market bias of every event per timeframe. */
function domainScores(input: ScoreInput): ScoreResult {
  const scoredAt = new Date(input.at.getTime() - 49 * 3_600_000); // before every event: each event uses it
  const credibility = new Map<string, Record<CredibilityWindow, number>>();
  const scores = new Map<string, ScorePoint[]>();
  let hits = 0;
  let ups = 0;
  let returns = 0;
  for (const [walletId, outcomes] of input.outcomes) {
    const s = credibilityScores(outcomes);
    const arch = archetypeOf({ isKnownExchange: false, events: input.archetypeEvents.get(walletId)! });
    if (arch.archetype === 'accumulator') ups++;
    for (const w of CREDIBILITY_WINDOWS) {
      hits += s[w].hits;
      returns += s[w].meanDirectionalReturn ?? 0;
    }
    credibility.set(walletId, { '1h': s['1h'].credibility, '4h': s['4h'].credibility, '24h': s['24h'].credibility });
    scores.set(walletId, [{ scoredAt, credibility: { '1h': s['1h'].samples ? s['1h'].credibility : null, '4h': s['4h'].samples ? s['4h'].credibility : null, '24h': s['24h'].samples ? s['24h'].credibility : null } }]);
  }
  const bias = {} as Record<BiasTimeframe, number>;
  for (const timeframe of CREDIBILITY_WINDOWS) bias[timeframe] = marketBias({ timeframe, at: input.at, events: input.biasEvents, scores }).value;
  return { credibility, hits, returns, bias, ups };
}

const Z = 1.959963984540054;
const WINDOW: Record<CredibilityWindow, number> = { '1h': 3_600_000, '4h': 14_400_000, '24h': 86_400_000 };

/** The same numbers as plain floats: no decimals, no result objects, no rule text. */
function bareScores(input: ScoreInput, nums: Array<{ walletId: string; dir: number; at: number; after: Array<number | null>; occurredAt: number; impact: number; confidence: number; notional: number }>): ScoreResult {
  const credibility = new Map<string, Record<CredibilityWindow, number>>();
  const known = new Map<string, Array<number | null>>();
  let hits = 0;
  let ups = 0;
  let returns = 0;
  for (let i = 0; i < nums.length; i += EVENTS_PER_WALLET) {
    const walletId = nums[i]!.walletId;
    const cred = [0, 0, 0];
    const samplesByWindow = [0, 0, 0];
    let up = 0;
    let directional = 0;
    for (let k = 0; k < 3; k++) {
      let n = 0;
      let h = 0;
      let sum = 0;
      for (let j = i; j < i + EVENTS_PER_WALLET; j++) {
        const e = nums[j]!;
        const a = e.after[k];
        if (e.dir === 0 || a === null || a === undefined) continue;
        const r = (e.dir * (a - e.at)) / e.at;
        n++;
        sum += r;
        if (r > 0) h++;
      }
      let low = 0;
      if (n > 0) {
        const p = h / n;
        const z2 = Z * Z;
        const den = 1 + z2 / n;
        low = Math.max(0, (p + z2 / (2 * n)) / den - (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den);
      }
      cred[k] = n > 0 ? Math.round(low * 1000) / 100 : 0;
      samplesByWindow[k] = n;
      hits += h;
      if (n > 0) returns += sum / n;
    }
    for (let j = i; j < i + EVENTS_PER_WALLET; j++) {
      if (nums[j]!.dir !== 0) directional++;
      if (nums[j]!.dir > 0) up++;
    }
    if (directional >= 5 && up / directional >= 0.7) ups++;
    credibility.set(walletId, { '1h': cred[0]!, '4h': cred[1]!, '24h': cred[2]! });
    known.set(walletId, cred.map((c, k) => (samplesByWindow[k]! > 0 ? c : null)));
  }
  const bias = {} as Record<BiasTimeframe, number>;
  const atMs = input.at.getTime();
  CREDIBILITY_WINDOWS.forEach((timeframe, k) => {
    let total = 0;
    let signed = 0;
    for (const e of nums) {
      if (e.impact === 0 || e.occurredAt <= atMs - WINDOW[timeframe] || e.occurredAt > atMs) continue;
      const c = known.get(e.walletId)![k] ?? 2;
      const w = (c / 10) * e.confidence * Math.min(1, Math.max(0.1, Math.log10(e.notional / 1000) / 4));
      total += w;
      signed += w * e.impact;
    }
    bias[timeframe] = total > 0 ? Math.round((signed / total) * 10_000) / 10_000 : 0;
  });
  return { credibility, hits, returns, bias, ups };
}

async function measureScores(log: (m: string) => void): Promise<BenchFigure> {
  let t = performance.now();
  const input = scoreInput();
  const nums = input.raw.map((r) => ({
    walletId: r.walletId,
    dir: r.implied === 'up' ? 1 : r.implied === 'down' ? -1 : 0,
    at: Number(r.priceAt),
    after: CREDIBILITY_WINDOWS.map((w) => (r.after[w] === null ? null : Number(r.after[w]))),
    occurredAt: r.occurredAt,
    impact: r.biasImpact,
    confidence: r.confidence,
    notional: Number(r.notional),
  }));
  log(`scores: ${SCORE_WALLETS} wallets × ${EVENTS_PER_WALLET} events = ${input.raw.length} events built in ${round(performance.now() - t, 0)} ms`);
  const ours: number[] = [];
  const refs: number[] = [];
  let mine: ScoreResult | undefined;
  let bare: ScoreResult | undefined;
  for (let r = 0; r < 5; r++) {
    t = performance.now();
    bare = bareScores(input, nums);
    refs.push(performance.now() - t);
    t = performance.now();
    mine = domainScores(input);
    ours.push(performance.now() - t);
  }
  // The two must agree, or the comparison means nothing.
  let differ = 0;
  for (const [walletId, c] of mine!.credibility) {
    const b = bare!.credibility.get(walletId)!;
    for (const w of CREDIBILITY_WINDOWS) if (Math.abs(c[w] - b[w]) > 0.011) differ++;
  }
  if (Math.abs(mine!.returns - bare!.returns) > 1e-6) throw new Error(`mean directional returns: domain ${mine!.returns} vs bare ${bare!.returns}`);
  if (differ > 0 || mine!.hits !== bare!.hits || mine!.ups !== bare!.ups) throw new Error(`the domain and the bare loop disagree: ${differ} scores, hits ${mine!.hits} vs ${bare!.hits}, accumulators ${mine!.ups} vs ${bare!.ups}`);
  for (const w of CREDIBILITY_WINDOWS) if (Math.abs(mine!.bias[w] - bare!.bias[w]) > 2e-4) throw new Error(`bias ${w}: domain ${mine!.bias[w]} vs bare ${bare!.bias[w]}`);
  // Where the domain's time goes: the per-wallet scores alone (the rest is marketBias).
  const walletsOnly = await timeOnce(() => {
    for (const [walletId, outcomes] of input.outcomes) {
      credibilityScores(outcomes);
      archetypeOf({ isKnownExchange: false, events: input.archetypeEvents.get(walletId)! });
    }
  });
  const ms = Math.min(...ours);
  const ref = Math.min(...refs);
  log(`scores: credibilityScores + archetypeOf of the ${SCORE_WALLETS} wallets alone ${round(walletsOnly, 1)} ms; the rest of the domain's time is marketBias over 3 timeframes`);
  log(`scores: domain ${ours.map((x) => round(x, 1)).join(', ')} ms; bare ${refs.map((x) => round(x, 2)).join(', ')} ms; ${mine!.hits} hits over 3 windows, ${mine!.ups} accumulators, bias 1h ${mine!.bias['1h']} / 4h ${mine!.bias['4h']} / 24h ${mine!.bias['24h']} (the bare loop agrees)`);
  return lowerIsBetter(
    `wallets.scores.${SCORE_WALLETS / 1000}k-wallets.${input.raw.length / 1000}k-events`,
    ms,
    'ms',
    ref,
    `credibilityScores + archetypeOf per wallet, then marketBias per timeframe (Decimal prices) vs a bare float loop over the same numbers; ${EVENTS_PER_WALLET} events per wallet; no target (time asked)`,
  );
}

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  figures.push(await measureIngest(ctx.log, 'data-dir'));
  figures.push(await measureIngest(ctx.log, 'memory'));
  if (ctx.postgresUrl) figures.push(await measureIngest(ctx.log, { postgresUrl: ctx.postgresUrl }));
  else ctx.log('no BENCH_DATABASE_URL/TEST_DATABASE_URL: the Postgres ingest figure is skipped');
  // As `mikey serve` runs it against a hosted node: every request answered 20 ms later.
  figures.push(await measureIngest(ctx.log, 'data-dir', 20));
  figures.push(await measureIngestNode(ctx.log));
  figures.push(await measureScores(ctx.log));
  return figures;
}
