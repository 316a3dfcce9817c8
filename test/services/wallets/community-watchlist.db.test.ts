// Shared community watchlists: two members of one Telegram group and an outsider. Alice shares a
// wallet she watches; Bob lists the group's wallets (shared by Alice's display name, with its score),
// opens its card and follows it — and then gets the whale push of the wallet's next move through the
// ordinary push path; Carol, not a member, sees nothing. Double shares, bad input, foreign unshares and
// the limit change nothing.
import { and, count, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { alerts, auditLogs, communityMembers, communityWallets, walletWatches, wallets } from '../../../src/db/schema/index.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import type { CommunityScope } from '../../../src/services/community/community-service.js';
import { createUser } from '../../../src/services/users.js';
import { MAX_SHARED_WALLETS_PER_COMMUNITY } from '../../../src/services/wallets/community-watchlist.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { WhalePushes } from '../../../src/services/wallets/whale-pushes.js';
import { createTestDatabase } from '../../support/db.js';
import { RecordingNotifier, manualClock, rejection } from '../market/support.js';
import { storeScore, storeWhaleEvent } from './whale-fixtures.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const TRADER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const GROUP: CommunityScope = { platform: 'telegram', communityId: '-1001234', chatId: '-1001234', isAdmin: false };
const OTHER_GROUP: CommunityScope = { platform: 'telegram', communityId: '-1009999', chatId: '-1009999', isAdmin: false };

let database: Database;
let service: WalletService;
let alice: Actor;
let bob: Actor;
let carol: Actor;
let whaleId: string;

async function member(actor: Actor, c: CommunityScope): Promise<void> {
  await database.db.insert(communityMembers).values({ platform: c.platform, communityId: c.communityId, userId: actor.userId });
}

async function state(): Promise<{ shares: unknown[]; watches: number; audit: number }> {
  const shares = await database.db
    .select({ walletId: communityWallets.walletId, label: communityWallets.label, tags: communityWallets.tags, by: communityWallets.sharedBy })
    .from(communityWallets)
    .orderBy(communityWallets.sharedAt);
  const [w] = await database.db.select({ n: count() }).from(walletWatches);
  const [a] = await database.db.select({ n: count() }).from(auditLogs);
  return { shares, watches: w!.n, audit: a!.n };
}

beforeAll(async () => {
  database = await createTestDatabase();
  service = new WalletService({ db: database.db });
  const mk = async (username: string, displayName: string): Promise<Actor> => actorFor((await createUser(database.db, { username, displayName })).id, 'telegram');
  alice = await mk(`cw-alice-${String(Math.floor(Math.random() * 1e6))}`, 'Alice the Analyst');
  bob = await mk(`cw-bob-${String(Math.floor(Math.random() * 1e6))}`, 'Bob');
  carol = await mk(`cw-carol-${String(Math.floor(Math.random() * 1e6))}`, 'Carol');
  await member(alice, GROUP);
  await member(bob, GROUP);
  await member(carol, OTHER_GROUP);
  whaleId = (await service.watch(alice, { address: WHALE, label: 'smart whale', tags: ['fund', 'eth'] })).walletId;
  await service.watch(alice, { address: TRADER, chain: 'hyperliquid', label: 'perp degen' });
  await storeScore(database.db, whaleId, new Date(Date.now() - 60_000), { h1: 6.5, h4: 7.25, h24: null, archetype: 'accumulator' });
});

afterAll(async () => {
  await database.close();
});

describe('shared community watchlists', () => {
  it('a member shares a watched wallet with her label and tags; another member lists it with who shared it and its score', async () => {
    const shared = await service.community.share(alice, GROUP, { wallet: 'smart whale' });
    expect([shared.created, shared.walletId, shared.label, shared.tags, shared.community, shared.sharedBy]).toEqual([true, whaleId, 'smart whale', ['fund', 'eth'], 'telegram:-1001234', 'Alice the Analyst']);
    const seen = await service.community.list(bob, GROUP);
    expect(seen.community).toBe('telegram:-1001234');
    expect(
      seen.wallets.map((w) => [w.label, w.chain, w.shortAddress, w.sharedBy, w.sharedByYou, w.followedByYou, w.latestScore?.credibility4h, w.latestScore?.archetype]),
      'bob sees the one shared wallet, shared by alice (display name), with its latest score, not yet followed',
    ).toEqual([['smart whale', 'ethereum', '0x5aAe…eAed', 'Alice the Analyst', false, false, 7.25, 'accumulator']]);
    expect((await service.community.list(alice, GROUP)).wallets.map((w) => [w.sharedByYou, w.followedByYou]), 'alice shared it and watches it').toEqual([[true, true]]);
    const trail = await database.db.select({ action: auditLogs.action }).from(auditLogs).where(eq(auditLogs.action, 'wallet.share'));
    expect(trail, 'the share wrote its audit row').toHaveLength(1);
  });

  it('sharing again is not doubled: the same member updates label and tags; another member is refused', async () => {
    const again = await service.community.share(alice, GROUP, { wallet: WHALE.toLowerCase(), label: 'Fund A', tags: ['otc'] });
    expect([again.created, again.label, again.tags]).toEqual([false, 'Fund A', ['otc']]);
    await service.watch(bob, { address: WHALE, label: 'bobs copy' });
    const before = await state();
    const err = await rejection(service.community.share(bob, GROUP, { wallet: 'bobs copy' }));
    expect([err.code, err.message]).toEqual(['conflict', '0x5aAe…eAed is already shared here by Alice the Analyst: nothing was changed']);
    expect(await state(), 'the refused share changed nothing').toEqual(before);
    const [{ n } = { n: -1 }] = await database.db.select({ n: count() }).from(communityWallets).where(eq(communityWallets.walletId, whaleId));
    expect(n, 'one share row for the wallet in the group').toBe(1);
    await service.unwatch(bob, { wallet: 'bobs copy' });
  });

  it('bad input and wallets the sharer does not watch are refused with a clear message, changing nothing', async () => {
    const before = await state();
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => service.community.share(alice, GROUP, { wallet: '' }), 'invalid_input', /name the wallet/],
      [() => service.community.share(alice, GROUP, { wallet: 'perp degen', label: 'x'.repeat(41) }), 'invalid_input', /at most 40 characters/],
      [() => service.community.share(alice, GROUP, { wallet: 'perp degen', tags: ['<script>'] }), 'invalid_input', /letters, digits/],
      [() => service.community.share(alice, GROUP, { wallet: 'perp degen', community: 'irc:#x' }), 'invalid_input', /telegram:<id>/],
      [() => service.community.share(alice, GROUP, { wallet: 'nobody' }), 'not_found', /none of your watched wallets is labelled "nobody"/],
      [() => service.community.share(bob, GROUP, { wallet: TRADER }), 'not_found', /you do not watch 0xfB69…d359/],
      [() => service.community.share(alice, GROUP, { wallet: 'perp degen', label: 'fund a' }), 'conflict', /already has a wallet called "fund a" \(0x5aAe…eAed\)/],
      [() => service.community.share(alice, GROUP, { wallet: 'perp degen', extra: 1 } as never), 'invalid_input', /Unrecognized key/],
    ];
    for (const [run, code, message] of cases) {
      const err = await rejection(run());
      expect(err.code, err.message).toBe(code);
      expect(err.message).toMatch(message);
    }
    expect(await state(), 'nothing changed').toEqual(before);
  });

  it('an outsider sees nothing and cannot share, follow, open or unshare', async () => {
    await service.watch(carol, { address: TRADER, chain: 'hyperliquid' });
    const before = await state();
    const calls: Array<() => Promise<unknown>> = [
      () => service.community.list(carol, GROUP),
      () => service.community.list(carol, undefined, { community: 'telegram:-1001234' }),
      () => service.community.share(carol, GROUP, { wallet: TRADER }),
      () => service.community.follow(carol, GROUP, { wallet: 'fund a' }),
      () => service.community.card(carol, GROUP, { wallet: 'fund a' }),
      () => service.community.unshare(carol, GROUP, { wallet: 'fund a' }),
    ];
    for (const run of calls) {
      const err = await rejection(run());
      expect(err.code).toBe('forbidden');
      expect(err.message).toMatch(/^You are not a member of (this community|telegram:-1001234) in MIKEY/);
      expect(err.hint).toMatch(/leaderboard join/);
    }
    const card = await rejection(service.card(carol, { wallet: 'fund a' }, GROUP));
    expect([card.code, card.message], 'get-wallet-card in the group falls back to her own "not watched"').toEqual(['not_found', 'none of your watched wallets is labelled "fund a"']);
    expect(await state(), 'nothing changed').toEqual(before);
  });

  it('a member opens the shared card and follows it; the next move of the wallet is pushed to him through the ordinary push path', async () => {
    const card = await service.card(bob, { wallet: 'fund a' }, GROUP);
    expect([card.walletId, card.label, card.sharedBy], 'the card of the shared wallet, found by its shared label').toEqual([whaleId, 'Fund A', 'Alice the Analyst']);
    const viaName = await service.card(bob, { wallet: WHALE, community: 'telegram:-1001234' });
    expect(viaName.walletId, 'outside the group, by naming the community').toBe(whaleId);

    const followed = await service.community.follow(bob, GROUP, { wallet: 'Fund A' });
    expect([followed.followed, followed.watch.walletId, followed.watch.label, followed.watch.tags, followed.shared.followedByYou]).toEqual([true, whaleId, 'Fund A', ['otc'], true]);
    const [watch] = await database.db.select().from(walletWatches).where(and(eq(walletWatches.userId, bob.userId), eq(walletWatches.walletId, whaleId)));
    expect(watch?.label, 'the follow is an ordinary watch row of bob').toBe('Fund A');
    const again = await service.community.follow(bob, GROUP, { wallet: 'fund a', label: 'renamed' });
    expect([again.followed, again.watch.label], 'following again changes nothing').toEqual([false, 'Fund A']);

    const at = new Date(Date.now() + 1_000);
    await storeWhaleEvent(database.db, { walletId: whaleId, address: WHALE, at, kind: 'buy', asset: 'ETH', amount: '500', notionalUsd: '1500000' });
    const notifier = new RecordingNotifier();
    const pushes = new WhalePushes({ db: database.db, notifier, clock: manualClock(at.getTime() + 60_000) });
    await pushes.runOnce();
    const got = notifier.sent.map((n) => [n.userId, n.kind]).sort();
    expect(got, 'alice (her watch) and bob (his follow) get the push; carol does not').toEqual([[alice.userId, 'whale'], [bob.userId, 'whale']].sort());
    const forBob = notifier.sent.find((n) => n.userId === bob.userId)!;
    expect(forBob.title, "bob's push names the wallet by the label he followed it with").toMatch(/^🐋 Fund A \(0x5aAe…eAed\): /);
    expect(await database.db.select().from(alerts).where(and(eq(alerts.userId, carol.userId), isNull(alerts.ruleId))), 'no push row for the outsider').toEqual([]);
  });

  it('only the sharer or a group admin unshares; followers keep their watch', async () => {
    const before = await state();
    const err = await rejection(service.community.unshare(bob, GROUP, { wallet: 'fund a' }));
    expect([err.code, err.message]).toEqual(['forbidden', 'only Alice the Analyst (who shared it) or an admin of the group can unshare Fund A: nothing was changed']);
    expect(await state(), 'the refused unshare changed nothing').toEqual(before);

    const gone = await service.community.unshare(alice, GROUP, { wallet: 'fund a' });
    expect([gone.walletId, gone.label]).toEqual([whaleId, 'Fund A']);
    expect((await service.community.list(bob, GROUP)).wallets, 'the group list is empty').toEqual([]);
    expect((await service.list(bob)).map((w) => w.walletId), 'bob still watches the wallet he followed').toEqual([whaleId]);
    const missing = await rejection(service.community.unshare(alice, GROUP, { wallet: 'fund a' }));
    expect([missing.code, missing.message]).toEqual(['not_found', 'no wallet shared with this community is called "fund a"']);

    await service.community.share(alice, GROUP, { wallet: 'perp degen' });
    const byAdmin = await service.community.unshare(bob, { ...GROUP, isAdmin: true }, { wallet: 'perp degen' });
    expect(byAdmin.label, 'an admin of the group may unshare any member\'s share').toBe('perp degen');
    expect((await database.db.select().from(auditLogs).where(eq(auditLogs.action, 'wallet.unshare'))).length).toBe(2);
  });

  it('two shares of the same wallet at once store one row (the community lock serialises them)', async () => {
    const results = await Promise.all([service.community.share(alice, GROUP, { wallet: 'perp degen' }), service.community.share(alice, GROUP, { wallet: 'perp degen', tags: ['hl'] })]);
    expect(results.map((r) => r.created).sort(), 'one created it, the other updated it').toEqual([false, true]);
    const rows = await database.db.select().from(communityWallets);
    expect(rows.map((r) => r.label), 'one row').toEqual(['perp degen']);
    await service.community.unshare(alice, GROUP, { wallet: 'perp degen' });
  });

  it(`holds at most ${String(MAX_SHARED_WALLETS_PER_COMMUNITY)} shared wallets per community, refusing the next with a clear error`, async () => {
    const [{ n: walletsBefore } = { n: 0 }] = await database.db.select({ n: count() }).from(wallets);
    for (let i = 0; i < MAX_SHARED_WALLETS_PER_COMMUNITY; i++) {
      const address = `0x${(i + 1).toString(16).padStart(40, '0')}`;
      await service.watch(bob, { address, label: `w${String(i)}` });
      await service.community.share(bob, GROUP, { wallet: `w${String(i)}` });
    }
    expect((await service.community.list(alice, GROUP)).wallets).toHaveLength(MAX_SHARED_WALLETS_PER_COMMUNITY);
    const before = await state();
    const err = await rejection(service.community.share(bob, GROUP, { wallet: WHALE }));
    expect([err.code, err.message]).toEqual(['rejected', `this community already shares ${String(MAX_SHARED_WALLETS_PER_COMMUNITY)} wallets, the most allowed: nothing was changed`]);
    expect(await state()).toEqual(before);
    const [{ n: walletsAfter } = { n: 0 }] = await database.db.select({ n: count() }).from(wallets);
    expect(walletsAfter - walletsBefore).toBe(MAX_SHARED_WALLETS_PER_COMMUNITY);
  });
});
