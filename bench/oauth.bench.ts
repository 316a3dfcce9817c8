// What OAuth costs per MCP request: introspecting an OAuth access token (one indexed read of
// user_sessions joined to its client and user) beside verifying an API key (one UPDATE … RETURNING
// on the key's hash), same database, same run (ratio = API key / OAuth; 1 means OAuth costs the same).
// Then the whole request: a tools/call over Streamable HTTP with each credential. The HTTP server
// trusts a verified API key for KEY_CACHE_MS without a lookup, while every OAuth request is looked up,
// so the second figure is the end-to-end price of that difference.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { startMcpHttpServer } from '../src/mcp/http.js';
import { actorFor } from '../src/services/actor.js';
import { createApiKey, verifyApiKey } from '../src/services/api-keys.js';
import { createUser } from '../src/services/users.js';
import { CATALOGUE } from '../src/tools/index.js';
import { lowerIsBetter, percentile, timeRuns, type BenchFigure, type BenchModule } from './lib.js';

const VERIFICATIONS = 2000;
const CALLS = 300;

const bench: BenchModule = async (ctx) => {
  const figures: BenchFigure[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mikey-bench-oauth-'));
  const config = loadConfig({ MIKEY_DATA_DIR: dir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: 'ab'.repeat(32), ...(ctx.postgresUrl ? { DATABASE_URL: ctx.postgresUrl } : {}) });
  const database = ctx.postgresUrl ? undefined : await openDatabase({});
  const app = await openApp({ config, ...(database ? { database } : {}) });
  try {
    const user = await createUser(app.database.db, { username: `oauth-bench-${randomBytes(3).toString('hex')}` });
    const { key } = await createApiKey(app.database.db, actorFor(user.id, 'cli'), { userId: user.id, permissions: ['read:market'], ratePerMinute: 100_000, expiresInMs: null });
    const server = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0, oauth: { ratePerMinute: 100_000 } });
    const provider = server.oauth!.provider;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const client: OAuthClientInformationFull = await provider.clientsStore.registerClient!({ redirect_uris: [redirectUri], client_name: 'bench', token_endpoint_auth_method: 'none' });
    const code = new URL(
      (await provider.issueCode({ client, params: { codeChallenge: 'unused-by-the-provider', redirectUri, scopes: ['read:market'] }, userId: user.id, scopes: ['read:market'] })).href,
    ).searchParams.get('code')!;
    const { access_token: token } = await provider.exchangeAuthorizationCode(client, code);
    // Warm both paths (plans, caches) before measuring.
    for (let i = 0; i < 50; i++) {
      await provider.verifyGrant(token);
      await verifyApiKey(app.database.db, key);
    }
    const oauthRuns: number[] = [];
    const keyRuns: number[] = [];
    for (let i = 0; i < VERIFICATIONS; i++) {
      oauthRuns.push(...(await timeRuns(1, () => provider.verifyGrant(token))));
      keyRuns.push(...(await timeRuns(1, () => verifyApiKey(app.database.db, key))));
    }
    const kind = app.database.kind;
    const note1 = `p50 of ${VERIFICATIONS} access-token introspections (user_sessions ⋈ oauth_clients ⋈ users by token hash) vs API-key verifications (UPDATE … RETURNING by key hash), ${kind}`;
    ctx.log(note1);
    figures.push(lowerIsBetter(`oauth.introspection_p50.${kind}`, percentile(oauthRuns, 50), 'ms', percentile(keyRuns, 50), note1));

    const connect = async (bearer: string): Promise<Client> => {
      const c = new Client({ name: 'bench', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
      return c;
    };
    const viaOAuth = await connect(token);
    const viaKey = await connect(key);
    const call = (c: Client) => (): Promise<unknown> => c.callTool({ name: 'whoami', arguments: {} });
    for (let i = 0; i < 30; i++) {
      await call(viaOAuth)();
      await call(viaKey)();
    }
    // Interleaved, so drift in the machine's load falls on both alike.
    const oauthCalls: number[] = [];
    const keyCalls: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      oauthCalls.push(...(await timeRuns(1, call(viaOAuth))));
      keyCalls.push(...(await timeRuns(1, call(viaKey))));
    }
    const note2 = `p50 of ${CALLS} whoami tools/call over Streamable HTTP with an OAuth access token (looked up every request) vs an API key (trusted for KEY_CACHE_MS after a lookup), ${kind}`;
    ctx.log(note2);
    figures.push(lowerIsBetter(`oauth.mcp_call_p50.${kind}`, percentile(oauthCalls, 50), 'ms', percentile(keyCalls, 50), note2));
    await viaOAuth.close();
    await viaKey.close();
    await server.close();
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
};
export default bench;
