// Watched wallets through the real in-process MCP client: watch (lower-case address stored
// checksummed, a label and tags), the list, a Hyperliquid trader's card with its live account from a
// local peer speaking the info API, unwatch by label; another user sees none of it; bad addresses
// are refused with what to send and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessClient } from '../../../src/mcp/in-process.js';
import { createUser, type User } from '../../../src/services/users.js';
import { startFakeInfoServer, type FakeInfoServer } from '../../adapters/hyperliquid/fake-info-server.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { call, connect, expectClean, fingerprint, text } from '../harness.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const TRADER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';

let app: TestApp;
let info: FakeInfoServer;
let alice: User;
let bob: User;
let a: InProcessClient;
let b: InProcessClient;

beforeAll(async () => {
  info = await startFakeInfoServer();
  app = await createTestApp({ MIKEY_MARKET: 'sim', MIKEY_HYPERLIQUID_URL: info.url });
  alice = await createUser(app.database.db, { username: 'alice' });
  bob = await createUser(app.database.db, { username: 'bob' });
  a = await connect(app, alice);
  b = await connect(app, bob);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await app?.close();
  await info?.close();
});

describe('wallet tools', () => {
  it('watch, list, card and unwatch, each answering in clean text', async () => {
    const watched = expectClean('watch-wallet', await call(a.client, 'watch-wallet', { address: WHALE.toLowerCase(), label: 'smart whale', tags: ['eth'] }));
    expect(watched).toMatch(/^Now watching "smart whale" \(0x5aAe…eAed\) on ethereum\. Tags: eth\./);
    expectClean('watch-wallet', await call(a.client, 'watch-wallet', { address: TRADER, chain: 'hyperliquid', label: 'perp trader' }));
    const list = expectClean('list-watched-wallets', await call(a.client, 'list-watched-wallets', {}));
    expect(list).toMatch(/^Watched wallets \(2\):/);
    expect(list).toContain('smart whale (0x5aAe…eAed) on ethereum [eth]: no activity seen yet');
    const card = expectClean('get-wallet-card', await call(a.client, 'get-wallet-card', { wallet: 'perp trader' }));
    expect(card).toMatch(/^perp trader \(0xfB69…d359\) on hyperliquid, watched since \d{4}-\d{2}-\d{2}/);
    expect(card).toMatch(/Account value: /);
    expect(expectClean('list-watched-wallets', await call(b.client, 'list-watched-wallets', {})), 'bob watches nothing').toMatch(/^You watch no wallets yet/);
    const theirs = await call(b.client, 'get-wallet-card', { wallet: 'smart whale' });
    expect(theirs.isError).toBe(true);
    expect(text(theirs)).toMatch(/none of your watched wallets/i);
    const gone = expectClean('unwatch-wallet', await call(a.client, 'unwatch-wallet', { wallet: 'smart whale' }));
    expect(gone).toBe('Stopped watching "smart whale" (0x5aAe…eAed) on ethereum.');
    expect(expectClean('list-watched-wallets', await call(a.client, 'list-watched-wallets', {}))).toMatch(/^Watched wallets \(1\):/);
  });

  it('refuses a bad address or checksum with what to send, and changes nothing', async () => {
    const before = await fingerprint(app);
    const bad = await call(a.client, 'watch-wallet', { address: '0x1234' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/0x followed by 40 hex digits/);
    const checksum = await call(a.client, 'watch-wallet', { address: '0x5AaEb6053F3E94C9b9A09f33669435E7Ef1BeAed' });
    expect(checksum.isError).toBe(true);
    expect(text(checksum)).toMatch(/checksum/i);
    const chain = await call(a.client, 'watch-wallet', { address: WHALE, chain: 'solana' });
    expect(chain.isError).toBe(true);
    expect(await fingerprint(app)).toEqual(before);
  });
});
