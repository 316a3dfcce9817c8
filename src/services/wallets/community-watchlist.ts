// Shared community watchlists (issue 13 §1): a member shares one of the wallets they watch with a
// community they belong to (a Telegram group or Discord server, community-service.ts), under a label
// and tags the community sees. Every member lists the community's shared wallets (who shared each,
// by the community's display name, with its chain, short address and latest score), opens a shared
// wallet's card, and follows it — which copies it into their own watch list through the ordinary
// watch path (WalletService.watch), so whale pushes reach them exactly as for any watch; there is
// no second push mechanism. The sharer, an admin of the group or a MIKEY admin unshares it.
//
// Decisions:
// - A member is a `community_members` row (the opt-in of community-service.ts). Non-members see
//   nothing: every call checks membership first and refuses with the way to join.
// - Only a wallet the sharer watches can be shared (they vouch for something they follow), named by
//   their own label or its address. The shared label and tags default to the sharer's and are a copy:
//   later edits of the sharer's watch do not leak into the community, unwatching leaves the share.
// - One share per wallet per community (a unique key): sharing again by the same member updates the
//   label and tags, by another member is refused naming who shared it. Shared labels are unique per
//   community (case-insensitive) so "follow smart whale" names one wallet.
// - At most MAX_SHARED_WALLETS_PER_COMMUNITY shares per community; the count and the insert run under
//   a transaction-scoped advisory lock on the community, so concurrent shares never pass the limit.
// - Rows carry `shared_by`, not `user_id`: they are community-visible, so the per-owner RLS policy of
//   drizzle/0010 would hide them from the members they are shared with (see schema/wallets.ts).
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../../db/client.js';
import { communityMembers, communityWallets, users, walletWatches, wallets } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { shortAddress, type Address } from '../../domain/wallets/address.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireActiveUser, requireRole } from '../authorize.js';
import { displayName, type CommunityScope } from '../community/community-service.js';
import { AppError, ErrorCode } from '../errors.js';
import { chainSchema, communityNameSchema, labelSchema, parseOrThrow, tagsSchema, toAddress, walletRefSchema } from './watch-input.js';
import type { WalletCard, WalletService, WatchChain, WatchRow, WatchView } from './wallet-service.js';

export const MAX_SHARED_WALLETS_PER_COMMUNITY = 50;

const communityField = communityNameSchema.optional();

export const shareWalletInput = z
  .object({
    wallet: walletRefSchema,
    chain: chainSchema.optional(),
    label: labelSchema.optional(),
    tags: tagsSchema.optional(),
    community: communityField,
  })
  .strict();
export type ShareWalletInput = z.input<typeof shareWalletInput>;

export const communityWalletRefInput = z.object({ wallet: walletRefSchema, chain: chainSchema.optional(), community: communityField }).strict();
export type CommunityWalletRefInput = z.input<typeof communityWalletRefInput>;

export const followWalletInput = z
  .object({ wallet: walletRefSchema, chain: chainSchema.optional(), label: labelSchema.optional(), community: communityField })
  .strict();
export type FollowWalletInput = z.input<typeof followWalletInput>;

export const listCommunityWalletsInput = z.object({ community: communityField }).strict();
export type ListCommunityWalletsInput = z.input<typeof listCommunityWalletsInput>;

/** A wallet shared with a community, as its members see it. */
export interface SharedWalletView extends WatchView {
  /** `telegram:<id>` / `discord:<id>`. */
  community: string;
  /** The sharer as the community names members (display name, else username). */
  sharedBy: string;
  sharedByYou: boolean;
  sharedAt: Date;
  /** The caller has it in their own watch list (gets its pushes). */
  followedByYou: boolean;
}

interface SharedRow extends WatchRow {
  shareId: string;
  sharedById: string;
  sharerUsername: string | null;
  sharerDisplayName: string | null;
}

type Community = Pick<CommunityScope, 'platform' | 'communityId'>;

/** A malformed address is bad input, refused before anything else is looked at. */
function checkAddress(ref: string): void {
  if (/^0x/i.test(ref)) toAddress(ref);
}

const keyOf = (c: { platform: string; communityId: string }): string => `${c.platform}:${c.communityId}`;

export class CommunityWatchlist {
  constructor(
    private readonly db: Db,
    private readonly wallets: WalletService,
  ) {}

  /** Shares one of the caller's watched wallets with a community they are a member of. */
  async share(actor: Actor, scope: CommunityScope | undefined, input: ShareWalletInput): Promise<SharedWalletView & { created: boolean }> {
    await requireRole(this.db, actor, 'trader');
    const v = parseOrThrow(shareWalletInput, input, 'e.g. {"wallet": "smart whale"} in the group, or add "community": "telegram:<id>"');
    checkAddress(v.wallet);
    const c = await this.memberCommunity(actor, scope, v.community, 'share a wallet');
    const own = await this.wallets.resolve(this.db, actor.userId, v.wallet, v.chain);
    const label = v.label ?? own.label;
    const tags = v.tags ? [...new Set(v.tags)] : own.tags;
    const created = await withTransaction(this.db, async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`community-wallets:${keyOf(c)}`}))`);
      const [existing] = await tx.select().from(communityWallets).where(and(this.inCommunity(c), eq(communityWallets.walletId, own.walletId)));
      if (existing && existing.sharedBy !== actor.userId) {
        const by = await this.nameOf(tx, existing.sharedBy);
        throw new AppError(ErrorCode.conflict, `${shortAddress(own.address)} is already shared here by ${by}: nothing was changed`, 'list the community wallets to see it, or follow it');
      }
      if (label) {
        const [clash] = await tx
          .select({ walletId: communityWallets.walletId, address: wallets.address })
          .from(communityWallets)
          .innerJoin(wallets, eq(wallets.id, communityWallets.walletId))
          .where(and(this.inCommunity(c), sql`lower(${communityWallets.label}) = lower(${label})`));
        if (clash && clash.walletId !== own.walletId) {
          throw new AppError(ErrorCode.conflict, `this community already has a wallet called "${label}" (${shortAddress(clash.address)}): nothing was changed`, 'give another label, e.g. {"label": "…"}');
        }
      }
      if (existing) {
        await tx.update(communityWallets).set({ label, tags }).where(eq(communityWallets.id, existing.id));
        await writeAudit(tx, actor, {
          action: 'wallet.share.update',
          entityType: 'community_wallet',
          entityId: existing.id,
          oldValue: { label: existing.label, tags: existing.tags },
          newValue: { label, tags },
        });
        return false;
      }
      const [{ n } = { n: 0 }] = await tx.select({ n: sql<number>`count(*)::int` }).from(communityWallets).where(this.inCommunity(c));
      if (n >= MAX_SHARED_WALLETS_PER_COMMUNITY) {
        throw new AppError(ErrorCode.rejected, `this community already shares ${String(n)} wallets, the most allowed: nothing was changed`, 'the sharer or an admin of the group can unshare one first');
      }
      const [row] = await tx
        .insert(communityWallets)
        .values({ platform: c.platform, communityId: c.communityId, walletId: own.walletId, sharedBy: actor.userId, label, tags })
        .returning({ id: communityWallets.id });
      await writeAudit(tx, actor, {
        action: 'wallet.share',
        entityType: 'community_wallet',
        entityId: row!.id,
        newValue: { community: keyOf(c), walletId: own.walletId, chain: own.chain, address: own.address, label, tags },
      });
      return true;
    });
    const shared = await this.find(this.db, c, own.address, own.chain as WatchChain);
    return { ...(await this.views(actor, c, [shared]))[0]!, created };
  }

  /** Removes a wallet from the community's list: its sharer, an admin of the group, or a MIKEY admin. Members' own watches stay. */
  async unshare(actor: Actor, scope: CommunityScope | undefined, input: CommunityWalletRefInput): Promise<SharedWalletView> {
    const me = await requireRole(this.db, actor, 'trader');
    const v = parseOrThrow(communityWalletRefInput, input, 'e.g. {"wallet": "smart whale"} in the group');
    checkAddress(v.wallet);
    const c = await this.memberCommunity(actor, scope, v.community, 'unshare a wallet');
    return withTransaction(this.db, async (tx) => {
      const row = await this.find(tx, c, v.wallet, v.chain);
      const groupAdmin = scope !== undefined && scope.isAdmin === true && keyOf(scope) === keyOf(c);
      if (row.sharedById !== actor.userId && !groupAdmin && me.role !== 'admin') {
        throw new AppError(
          ErrorCode.forbidden,
          `only ${displayName({ displayName: row.sharerDisplayName, username: row.sharerUsername }, row.sharedById)} (who shared it) or an admin of the group can unshare ${row.label ?? shortAddress(row.address)}: nothing was changed`,
          'ask them, or follow it and keep your own watch',
        );
      }
      const [view] = await this.views(actor, c, [row], tx);
      await tx.delete(communityWallets).where(eq(communityWallets.id, row.shareId));
      await writeAudit(tx, actor, {
        action: 'wallet.unshare',
        entityType: 'community_wallet',
        entityId: row.shareId,
        oldValue: { community: keyOf(c), walletId: row.walletId, address: row.address, label: row.label, tags: row.tags, sharedBy: row.sharedById },
      });
      return view!;
    });
  }

  /** The community's shared wallets, most recently active first, each with its latest score. Members only. */
  async list(actor: Actor, scope: CommunityScope | undefined, input: ListCommunityWalletsInput = {}): Promise<{ community: string; wallets: SharedWalletView[] }> {
    await requireActiveUser(this.db, actor.userId);
    const v = parseOrThrow(listCommunityWalletsInput, input, 'in the group no argument is needed; elsewhere {"community": "telegram:<id>"}');
    const c = await this.memberCommunity(actor, scope, v.community, 'see its shared wallets');
    const rows = await this.rows(this.db, c);
    const views = await this.views(actor, c, rows);
    views.sort((a, b) => (b.lastActivityAt?.getTime() ?? 0) - (a.lastActivityAt?.getTime() ?? 0) || b.sharedAt.getTime() - a.sharedAt.getTime());
    return { community: keyOf(c), wallets: views };
  }

  /** A shared wallet's card (members only), named by the community's label or its address. */
  async card(actor: Actor, scope: CommunityScope | undefined, input: CommunityWalletRefInput): Promise<WalletCard> {
    await requireActiveUser(this.db, actor.userId);
    const v = parseOrThrow(communityWalletRefInput, input, 'e.g. {"wallet": "smart whale"}');
    checkAddress(v.wallet);
    const c = await this.memberCommunity(actor, scope, v.community, 'open its shared wallets');
    const row = await this.find(this.db, c, v.wallet, v.chain);
    return this.wallets.cardOf(row, displayName({ displayName: row.sharerDisplayName, username: row.sharerUsername }, row.sharedById));
  }

  /**
   * Copies a shared wallet into the caller's own watch list (with the community's label and tags, or
   * the caller's `label`) through WalletService.watch — from then on its moves are pushed to the caller
   * like any watch. Already watched: nothing changes (the caller's own label stays).
   */
  async follow(actor: Actor, scope: CommunityScope | undefined, input: FollowWalletInput): Promise<{ shared: SharedWalletView; watch: WatchView; followed: boolean }> {
    await requireRole(this.db, actor, 'trader');
    const v = parseOrThrow(followWalletInput, input, 'e.g. {"wallet": "smart whale"}, or {"wallet": "smart whale", "label": "my name for it"}');
    checkAddress(v.wallet);
    const c = await this.memberCommunity(actor, scope, v.community, 'follow its shared wallets');
    const row = await this.find(this.db, c, v.wallet, v.chain);
    const [already] = await this.db
      .select({ walletId: walletWatches.walletId })
      .from(walletWatches)
      .where(and(eq(walletWatches.userId, actor.userId), eq(walletWatches.walletId, row.walletId)));
    let watch: WatchView;
    if (already) {
      watch = await this.wallets.resolve(this.db, actor.userId, row.address, row.chain as WatchChain).then((r) => this.wallets.toView(r, null));
    } else {
      watch = await this.wallets.watch(actor, { address: row.address, chain: row.chain as WatchChain, ...(v.label ?? row.label ? { label: v.label ?? row.label! } : {}), tags: row.tags });
    }
    const [shared] = await this.views(actor, c, [row]);
    return { shared: { ...shared!, followedByYou: true }, watch, followed: !already };
  }

  /**
   * The community a call is about, for one of its members: the group the message came from, or (over
   * MCP and in private chats) the one named "telegram:<id>" / "discord:<id>", or the caller's only one.
   */
  private async memberCommunity(actor: Actor, scope: CommunityScope | undefined, name: string | undefined, what: string): Promise<Community> {
    const mine = await this.db.select({ platform: communityMembers.platform, communityId: communityMembers.communityId }).from(communityMembers).where(eq(communityMembers.userId, actor.userId));
    const keys = mine.map(keyOf);
    const join = 'join it first: say "/leaderboard join" in the group';
    let c: Community;
    if (name !== undefined) {
      const [platform, ...rest] = name.split(':');
      c = { platform: platform as CommunityScope['platform'], communityId: rest.join(':') };
    } else if (scope) {
      c = { platform: scope.platform, communityId: scope.communityId };
    } else if (mine.length === 1) {
      c = { platform: mine[0]!.platform as CommunityScope['platform'], communityId: mine[0]!.communityId };
    } else {
      throw new AppError(
        ErrorCode.invalidInput,
        mine.length === 0 ? `To ${what}, ask in the group: you are a member of no community yet` : `Outside a group, say which community you mean to ${what}`,
        mine.length === 0 ? join : `give community as one of ${keys.join(', ')}`,
      );
    }
    if (!keys.includes(keyOf(c))) {
      throw new AppError(ErrorCode.forbidden, `You are not a member of ${scope && keyOf(scope) === keyOf(c) ? 'this community' : keyOf(c)} in MIKEY, so you cannot ${what}`, join);
    }
    return c;
  }

  private inCommunity(c: Community) {
    return and(eq(communityWallets.platform, c.platform), eq(communityWallets.communityId, c.communityId));
  }

  private async rows(ex: Executor, c: Community): Promise<SharedRow[]> {
    return ex
      .select({
        shareId: communityWallets.id,
        walletId: wallets.id,
        chain: wallets.chain,
        address: wallets.address,
        label: communityWallets.label,
        tags: communityWallets.tags,
        watchedSince: communityWallets.sharedAt,
        lastActivityAt: wallets.lastActivityAt,
        sharedById: communityWallets.sharedBy,
        sharerUsername: users.username,
        sharerDisplayName: users.displayName,
      })
      .from(communityWallets)
      .innerJoin(wallets, eq(wallets.id, communityWallets.walletId))
      .innerJoin(users, eq(users.id, communityWallets.sharedBy))
      .where(this.inCommunity(c))
      .orderBy(asc(communityWallets.sharedAt));
  }

  /** One shared wallet by the community's label (case-insensitive) or its address. */
  private async find(ex: Executor, c: Community, ref: string, chain: WatchChain | undefined): Promise<SharedRow> {
    const rows = await this.rows(ex, c);
    const onChain = (r: SharedRow): boolean => chain === undefined || r.chain === chain;
    let matches: SharedRow[];
    if (/^0x/i.test(ref)) {
      const address: Address = toAddress(ref);
      matches = rows.filter((r) => r.address === address && onChain(r));
      if (matches.length === 0) throw new AppError(ErrorCode.notFound, `${shortAddress(address)} is not shared with this community${chain ? ` on ${chain}` : ''}`, 'list the community wallets to see what is shared');
    } else {
      matches = rows.filter((r) => r.label !== null && r.label.toLowerCase() === ref.toLowerCase() && onChain(r));
      if (matches.length === 0) {
        const shown = ref.length > 40 ? `${ref.slice(0, 39)}…` : ref;
        throw new AppError(ErrorCode.notFound, `no wallet shared with this community is called "${shown}"`, 'list the community wallets to see their labels, or give the address');
      }
    }
    if (matches.length > 1) throw new AppError(ErrorCode.invalidInput, `${shortAddress(matches[0]!.address)} is shared here on both ethereum and hyperliquid`, 'say which chain: ethereum or hyperliquid');
    return matches[0]!;
  }

  private async views(actor: Actor, c: Community, rows: readonly SharedRow[], ex: Executor = this.db): Promise<SharedWalletView[]> {
    const ids = rows.map((r) => r.walletId);
    const scores = await this.wallets.latestScores(ex, ids);
    const followed = new Set(
      ids.length === 0
        ? []
        : (await ex.select({ walletId: walletWatches.walletId }).from(walletWatches).where(eq(walletWatches.userId, actor.userId))).map((w) => w.walletId),
    );
    return rows.map((r) => ({
      ...this.wallets.toView(r, scores.get(r.walletId) ?? null),
      community: keyOf(c),
      sharedBy: displayName({ displayName: r.sharerDisplayName, username: r.sharerUsername }, r.sharedById),
      sharedByYou: r.sharedById === actor.userId,
      sharedAt: r.watchedSince,
      followedByYou: followed.has(r.walletId),
    }));
  }

  private async nameOf(ex: Executor, userId: string): Promise<string> {
    const [u] = await ex.select({ username: users.username, displayName: users.displayName }).from(users).where(eq(users.id, userId));
    return u ? displayName(u, userId) : 'another member';
  }
}
