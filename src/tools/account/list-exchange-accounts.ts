import { z } from 'zod';
import { defineTool, READ_ONLY, untrusted } from '../../mcp/tool.js';
import { listExchangeAccounts as listAccounts, venueName } from '../../services/exchange-accounts.js';
import { shortId } from '../../services/id-prefix.js';
import { tableBlock } from '../format.js';

export const listExchangeAccounts = defineTool({
  name: 'list-exchange-accounts',
  title: 'List exchange accounts',
  description:
    'Your exchange accounts (API keys stored for live trading): exchange, label, live or testnet, account type (spot, margin, futures), whether the key was valid at its last check, when it was checked and why it failed, and the live portfolio it trades for. Never shows a key or secret. Keys are added only by the owner in a terminal (mikey exchange add), never through a tool or chat. Example: {}.',
  permission: 'read:portfolio',
  input: {},
  output: {
    accounts: z
      .array(
        z.object({
          id: z.string().describe('Exchange account id (the first 8 characters are accepted back)'),
          exchange: z.string().describe('ccxt exchange id, e.g. binance'),
          label: z.string().describe('The owner\'s label (user-written text)'),
          network: z.enum(['live', 'testnet']).describe('live: real money; testnet: the venue\'s sandbox'),
          accountType: z.string().describe('spot, margin or futures'),
          valid: z.boolean().describe('The venue accepted the key at its last check'),
          lastCheckedAt: z.string().nullable().describe('When the key was last checked (ISO 8601), or null'),
          lastError: z.string().nullable().describe('Why the last check failed (venue text), or null'),
          portfolio: z.object({ id: z.string(), name: z.string(), mode: z.string() }).nullable().describe('The portfolio these keys trade for, or null'),
        }),
      )
      .describe('Your exchange accounts, oldest first'),
    untrustedFields: z.array(z.string()).describe('Fields holding user-written or venue text'),
  },
  annotations: READ_ONLY,
  async run(ctx) {
    const rows = await listAccounts(ctx.services.db, ctx.actor.userId);
    const accounts = rows.map((a) => ({
      id: a.id,
      exchange: a.exchange,
      label: a.label,
      network: a.sandbox ? ('testnet' as const) : ('live' as const),
      accountType: a.accountType,
      valid: a.isValid,
      lastCheckedAt: a.lastCheckedAt?.toISOString() ?? null,
      lastError: a.lastError,
      portfolio: a.portfolio,
    }));
    const untrustedFields = ['accounts[].label', 'accounts[].lastError', 'accounts[].portfolio.name'];
    if (rows.length === 0) {
      return {
        text: 'No exchange accounts yet: MIKEY trades on paper. To trade live, the owner adds exchange keys in a terminal with "mikey exchange add --exchange binance --sandbox" (testnet first); keys are never accepted in chat or through a tool.',
        data: { accounts, untrustedFields },
      };
    }
    const table = tableBlock(
      ['id', 'exchange', 'label', 'network', 'type', 'valid', 'last checked', 'portfolio'],
      rows.map((a) => [
        shortId(a.id),
        venueName(a.exchange),
        untrusted('exchange account label', a.label),
        a.sandbox ? 'testnet' : 'LIVE',
        a.accountType,
        a.isValid ? 'yes' : 'NO',
        a.lastCheckedAt ? `${a.lastCheckedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'never',
        a.portfolio ? `${untrusted('portfolio name', a.portfolio.name)} (${a.portfolio.mode})` : 'none',
      ]),
    );
    const failures = rows.filter((a) => a.lastError).map((a) => `${shortId(a.id)}: ${untrusted('exchange answer', a.lastError!)}`);
    const invalid = rows.filter((a) => !a.isValid).length;
    const lines = [`${rows.length} exchange account${rows.length === 1 ? '' : 's'}${invalid ? `, ${invalid} with a key that is not valid` : ''}.`, table];
    if (failures.length) lines.push('Last check failed:', ...failures);
    if (invalid) lines.push('The owner re-checks a key with "mikey exchange test ID" in a terminal.');
    return { text: lines.join('\n'), data: { accounts, untrustedFields } };
  },
});
