// Shared community watchlists (issue 13) as MCP tools: share one of your watched wallets with a group
// or server you are a member of, list what the community shares, follow a shared wallet (it joins
// your own watch list, so its moves are pushed to you), and unshare. In a group the community is the
// group itself; over MCP and in private chats it is named "telegram:<id>" / "discord:<id>".
// A shared wallet's card is get-wallet-card (with `community`, or in the group).
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { communityWalletRefInput, followWalletInput, listCommunityWalletsInput, shareWalletInput, type SharedWalletView } from '../../services/wallets/community-watchlist.js';
import { ago, cleanLabel } from '../../services/wallets/format.js';
import { watchData } from './wallet-tools.js';

const communityDescription = 'Only outside the group (over MCP, in a private chat): the community as "telegram:<id>" or "discord:<id>"; in the group it is the group itself';

function sharedData(w: SharedWalletView): Record<string, unknown> {
  return { ...watchData(w), community: w.community, sharedBy: w.sharedBy, sharedByYou: w.sharedByYou, sharedAt: w.sharedAt.toISOString(), followedByYou: w.followedByYou };
}

const nameOf = (w: SharedWalletView): string => (w.label ? `"${cleanLabel(w.label)}" (${w.shortAddress})` : w.shortAddress);

/** The latest score in a few words: credibility per window, then the archetype. */
function scoreWords(w: SharedWalletView): string {
  const s = w.latestScore;
  if (!s) return 'not scored yet';
  const windows = ([['1h', s.credibility1h], ['4h', s.credibility4h], ['24h', s.credibility24h]] as const).filter(([, v]) => v !== null);
  const words = windows.length > 0 ? [`credibility ${windows.map(([k, v]) => `${k} ${v!.toFixed(1)}`).join(', ')} /10`] : [];
  if (s.archetype && s.archetype !== 'unclassified') words.push(s.archetype.replace(/_/g, ' '));
  return words.length > 0 ? words.join(' · ') : 'not scored yet';
}

/** The community's shared wallets, one line each, for a person. */
export function formatCommunityWallets(list: readonly SharedWalletView[], now: Date): string {
  if (list.length === 0) return 'No wallets are shared with this community yet. Share one you watch with: share smart whale with the group.';
  const lines = list.map((w) => {
    const tags = w.tags.length > 0 ? ` [${w.tags.map(cleanLabel).join(', ')}]` : '';
    const active = w.lastActivityAt ? `active ${ago(w.lastActivityAt, now)}` : 'no activity seen yet';
    const who = w.sharedByYou ? 'you' : cleanLabel(w.sharedBy);
    return `• ${nameOf(w)} on ${w.chain}${tags}, shared by ${who}: ${active}; ${scoreWords(w)}${w.followedByYou ? ' (you follow it)' : ''}`;
  });
  return [`Community wallets (${String(list.length)}):`, ...lines, 'Follow one to get its moves pushed to you; open its card by its label.'].join('\n');
}

const refShape = {
  wallet: communityWalletRefInput.shape.wallet.describe('The shared wallet: its address or the label the community sees'),
  chain: communityWalletRefInput.shape.chain.describe('ethereum or hyperliquid, only when the same address is shared on both'),
  community: communityWalletRefInput.shape.community.describe(communityDescription),
};

export const shareWallet = defineTool({
  name: 'share-wallet',
  title: 'Share a watched wallet with your community',
  description:
    'Shares one of the wallets you watch with this group or server (you must be a member: "/leaderboard join" there), under your label and tags or new ones. ' +
    'Members then see it in list-community-wallets, open its card and can follow it. Sharing again updates the label and tags. Example: {"wallet":"smart whale"}.',
  permission: 'write:alerts',
  input: {
    wallet: shareWalletInput.shape.wallet.describe('One of your watched wallets: its address or your label for it'),
    chain: shareWalletInput.shape.chain.describe('ethereum or hyperliquid, only when you watch the same address on both'),
    label: shareWalletInput.shape.label.describe('The name the community sees (default: your label), up to 40 characters'),
    tags: shareWalletInput.shape.tags.describe('Tags the community sees (default: yours), up to 10'),
    community: shareWalletInput.shape.community.describe(communityDescription),
  },
  output: {
    community: z.string(),
    walletId: z.string(),
    chain: z.string(),
    address: z.string(),
    label: z.string().nullable(),
    created: z.boolean().describe('True when newly shared, false when an earlier share of yours was updated'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const w = await ctx.services.wallets.community.share(ctx.actor, ctx.community, args);
    const text = `${w.created ? 'Shared' : 'Updated the shared'} ${nameOf(w)} on ${w.chain} with ${ctx.community ? 'this community' : w.community}.${w.tags.length > 0 ? ` Tags: ${w.tags.map(cleanLabel).join(', ')}.` : ''} Members can open its card and follow it.`;
    return { text, data: { ...sharedData(w), created: w.created } as never };
  },
});

export const unshareWallet = defineTool({
  name: 'unshare-wallet',
  title: 'Unshare a community wallet',
  description:
    'Removes a wallet from the community\'s shared list. Allowed to whoever shared it, an admin of the group, or a MIKEY admin. Members who follow it keep their own watch. Example: {"wallet":"smart whale"}.',
  permission: 'write:alerts',
  input: refShape,
  output: { community: z.string(), walletId: z.string(), chain: z.string(), address: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const w = await ctx.services.wallets.community.unshare(ctx.actor, ctx.community, args);
    return { text: `Unshared ${nameOf(w)} on ${w.chain}. Members who follow it keep watching it.`, data: sharedData(w) as never };
  },
});

export const listCommunityWallets = defineTool({
  name: 'list-community-wallets',
  title: 'Wallets shared with your community',
  description:
    'The wallets members shared with this group or server: who shared each, its label and tags, chain, short address, last activity and latest credibility, and whether you follow it. Members only.',
  permission: 'read:portfolio',
  input: { community: listCommunityWalletsInput.shape.community.describe(communityDescription) },
  output: {
    community: z.string(),
    wallets: z.array(z.object({ walletId: z.string(), chain: z.string(), address: z.string(), label: z.string().nullable(), sharedBy: z.string() }).passthrough()),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.wallets.community.list(ctx.actor, ctx.community, args);
    return { text: formatCommunityWallets(r.wallets, ctx.services.clock.now()), data: { community: r.community, wallets: r.wallets.map(sharedData) } as never };
  },
});

export const followCommunityWallet = defineTool({
  name: 'follow-community-wallet',
  title: 'Follow a community wallet',
  description:
    'Adds a wallet shared with your community to your own watch list (with the community\'s label and tags, or your own label), so its moves are pushed to you like any watched wallet. Already watching it: nothing changes. Example: {"wallet":"smart whale"}.',
  permission: 'write:alerts',
  input: { ...refShape, label: followWalletInput.shape.label.describe('Your own label for it (default: the community\'s)') },
  output: { walletId: z.string(), chain: z.string(), address: z.string(), label: z.string().nullable(), followed: z.boolean().describe('False when you already watched it') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.wallets.community.follow(ctx.actor, ctx.community, args);
    const name = r.watch.label ? `"${cleanLabel(r.watch.label)}" (${r.watch.shortAddress})` : r.watch.shortAddress;
    const text = r.followed
      ? `Now following ${name} on ${r.watch.chain}, shared by ${r.shared.sharedByYou ? 'you' : cleanLabel(r.shared.sharedBy)}. Its moves are pushed to you; it is in your watched wallets.`
      : `You already watch ${name} on ${r.watch.chain}: nothing changed.`;
    return { text, data: { ...watchData(r.watch), followed: r.followed } as never };
  },
});
