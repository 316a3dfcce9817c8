// Watched wallets (issue 13) as MCP tools: watch, unwatch, the user's list and one wallet's card.
// The text is the same plain text chat shows (src/services/wallets/format.ts); the structured data
// carries decimals as strings and times as ISO strings.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import type { Services } from '../../services/index.js';
import { walletCardInput, walletRefInput, watchWalletInput, type WalletCard, type WatchView } from '../../services/wallets/wallet-service.js';
import { cleanLabel, formatCard, formatWatchList } from '../../services/wallets/format.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A watch as JSON: decimals as strings, times as ISO strings. */
export function watchData(w: WatchView): Record<string, unknown> {
  const s = w.latestScore;
  return {
    walletId: w.walletId,
    chain: w.chain,
    address: w.address,
    shortAddress: w.shortAddress,
    label: w.label,
    tags: w.tags,
    watchedSince: w.watchedSince.toISOString(),
    lastActivityAt: iso(w.lastActivityAt),
    latestScore: s
      ? {
          scoredAt: s.scoredAt.toISOString(),
          credibility1h: s.credibility1h,
          credibility4h: s.credibility4h,
          credibility24h: s.credibility24h,
          equityUsd: s.equityUsd?.toFixed() ?? null,
          tradingVolume24h: s.tradingVolume24h?.toFixed() ?? null,
          winRate: s.winRate,
          archetype: s.archetype,
        }
      : null,
  };
}

function cardData(c: WalletCard): Record<string, unknown> {
  return {
    ...watchData(c),
    recentEvents: c.recentEvents.map((e) => ({
      occurredAt: e.occurredAt.toISOString(),
      eventType: e.eventType,
      asset: e.asset,
      amount: e.amount?.toFixed() ?? null,
      notionalUsd: e.notionalUsd?.toFixed() ?? null,
      venue: e.venue,
      txHash: e.txHash,
      classification: e.classification,
      narrative: e.narrative,
      biasImpact: e.biasImpact,
    })),
    account: c.account
      ? {
          accountValue: c.account.accountValue.toFixed(),
          readAt: c.account.readAt.toISOString(),
          positions: c.account.positions.map((p) => ({
            coin: p.coin,
            side: p.side,
            size: p.size.toFixed(),
            entryPx: p.entryPx?.toFixed() ?? null,
            positionValue: p.positionValue.toFixed(),
            unrealizedPnl: p.unrealizedPnl.toFixed(),
            leverage: p.leverage,
            liquidationPx: p.liquidationPx?.toFixed() ?? null,
          })),
        }
      : null,
    accountUnavailable: c.accountUnavailable,
    ...(c.sharedBy !== undefined ? { sharedBy: c.sharedBy } : {}),
  };
}

const watchShape = {
  address: watchWalletInput.shape.address.describe('The wallet: 0x followed by 40 hex digits (any case; a mixed-case address must carry a valid EIP-55 checksum)'),
  chain: watchWalletInput.shape.chain.describe('ethereum (default) or hyperliquid (a perp trader by address)'),
  label: watchWalletInput.shape.label.describe('Your name for it, e.g. "smart whale" (up to 40 characters)'),
  tags: watchWalletInput.shape.tags.describe('Up to 10 tags of your own, e.g. ["fund", "eth"]'),
  backfillBlocks: watchWalletInput.shape.backfillBlocks.describe(
    'Ethereum only: also ingest the wallet\'s ERC-20 transfers and swaps of this many blocks before it was first watched (1–50000, about 7 days), once; that history is shown, never pushed',
  ),
  backfillDays: watchWalletInput.shape.backfillDays.describe(
    'Hyperliquid only: also ingest the trader\'s fills of this many days before it was first watched (1–30), once; that history is shown, never pushed',
  ),
};
const refShape = {
  wallet: walletRefInput.shape.wallet.describe('The wallet: its address or your label for it'),
  chain: walletRefInput.shape.chain.describe('ethereum or hyperliquid, only when you watch the same address on both'),
};

const walletsOf = (services: Services): NonNullable<Services['wallets']> => services.wallets;

export const watchWallet = defineTool({
  name: 'watch-wallet',
  title: 'Watch a wallet',
  description:
    'Adds a wallet to your watch list: an Ethereum address (its transfers, swaps and exchange deposits are ingested block by block) or a Hyperliquid trader (fills, positions and account value). ' +
    'Give it your own label and tags; watching again updates them. Example: {"address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","label":"smart whale"}.',
  permission: 'write:alerts',
  input: watchShape,
  output: {
    walletId: z.string(),
    chain: z.string(),
    address: z.string(),
    label: z.string().nullable(),
    created: z.boolean().describe('True when the wallet was new to your list'),
    backfill: z.boolean().optional().describe('Only when a backfill was asked: true if queued, false if this wallet\'s history was asked for before'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const w = await walletsOf(ctx.services).watch(ctx.actor, args);
    const now = ctx.services.clock.now();
    const who = w.label ? `"${w.label}" (${w.shortAddress})` : w.shortAddress;
    const backfill =
      w.backfill === undefined
        ? ''
        : w.backfill
          ? ` Its earlier history (${args.backfillBlocks !== undefined ? `${String(args.backfillBlocks)} blocks` : `${String(args.backfillDays)} days`}) will be fetched once over the next ingestion runs; it shows on the card and is never pushed.`
          : ' Its earlier history was asked for before (a wallet is backfilled once).';
    const text = `${w.created ? 'Now watching' : 'Updated'} ${who} on ${w.chain}.${w.tags.length > 0 ? ` Tags: ${w.tags.join(', ')}.` : ''} Its moves show on its card; your list has it.${backfill}\n\n${formatWatchList([w], now)}`;
    return { text, data: { ...watchData(w), created: w.created, ...(w.backfill !== undefined ? { backfill: w.backfill } : {}) } as never };
  },
});

export const unwatchWallet = defineTool({
  name: 'unwatch-wallet',
  title: 'Stop watching a wallet',
  description: 'Removes a wallet from your watch list, by its address or your label for it. Its history stays (others may watch it too).',
  permission: 'write:alerts',
  input: refShape,
  output: { walletId: z.string(), chain: z.string(), address: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const w = await walletsOf(ctx.services).unwatch(ctx.actor, args);
    return { text: `Stopped watching ${w.label ? `"${w.label}" (${w.shortAddress})` : w.shortAddress} on ${w.chain}.`, data: watchData(w) as never };
  },
});

export const listWatchedWallets = defineTool({
  name: 'list-watched-wallets',
  title: 'Your watched wallets',
  description: 'Your watch list: each wallet with your label and tags, its chain, last activity and latest credibility score.',
  permission: 'read:portfolio',
  input: {},
  output: { wallets: z.array(z.object({ walletId: z.string(), chain: z.string(), address: z.string(), label: z.string().nullable() }).passthrough()) },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx) {
    const list = await walletsOf(ctx.services).list(ctx.actor);
    return { text: formatWatchList(list, ctx.services.clock.now()), data: { wallets: list.map(watchData) } as never };
  },
});

export const getWalletCard = defineTool({
  name: 'get-wallet-card',
  title: 'A watched wallet\'s card',
  description:
    'One of your watched wallets by address or label: credibility (1h/4h/24h, from how the price moved after its past moves), archetype, recent events with their analysis, and for a Hyperliquid trader the live account value and open perp positions. ' +
    'In a group, a wallet shared with the group (list-community-wallets) opens by its shared label too; elsewhere give community.',
  permission: 'read:portfolio',
  input: {
    ...refShape,
    community: walletCardInput.shape.community.describe('A wallet shared with this community ("telegram:<id>" or "discord:<id>", one you are a member of) rather than your own watch list'),
  },
  output: { walletId: z.string(), chain: z.string(), address: z.string(), recentEvents: z.array(z.record(z.unknown())) },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(ctx, args) {
    const card = await walletsOf(ctx.services).card(ctx.actor, args, ctx.community);
    const text = formatCard(card, ctx.services.clock.now());
    return { text: card.sharedBy !== undefined ? `${text.replace(', watched since ', ', shared since ')}
Shared by ${cleanLabel(card.sharedBy)}; follow it to get its moves pushed to you.` : text, data: cardData(card) as never };
  },
});
