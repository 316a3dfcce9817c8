// The `mikey help` text, in a module of its own: src/cli-entry.ts answers `mikey help` from it
// without loading the CLI's commands, the services or the database.
import { ALL_PERMISSIONS } from './services/permission.js';

export const HELP = `mikey — a chat-native AI trading assistant

Usage: mikey <command> [options]

  chat                          chat and paper-trade in the terminal (default for npm start)
  mcp                           MCP server over stdio (Claude Desktop, Claude Code)
  serve                         every configured surface: MCP over HTTP, Telegram, Discord, schedulers
  db migrate                    apply pending database migrations
  user create --username NAME [--email E] [--role admin|trader|viewer]
  user list
  user role USER admin|trader|viewer   change a user's role (the local owner must be an admin)
  user disable USER | user enable USER   refuse or allow a user on every surface
  link [--user U]               a one-time code to link Telegram or Discord to your MIKEY user
  apikey create --user U --permissions ${ALL_PERMISSIONS.join(',')} [--rate 60] [--expires 90d] [--name N]
  apikey list --user U
  apikey revoke KEY_ID
  exchange add --exchange ID [--sandbox] [--label L] [--account-type spot|futures] [--user U]
                                store an exchange's API keys after checking them with the venue
                                (one signed request); the key, secret and optional passphrase
                                come from a hidden prompt, or from stdin as one JSON object
                                {"apiKey": "…", "secret": "…", "password": "…"}, never from argv
  exchange list [--user U]      your exchange accounts: testnet or live, type, valid, last check
  exchange test ID [--user U]   check an account's key with the venue again
  exchange remove ID [--user U] delete an account's keys (refused while a live portfolio using
                                them has open orders or positions)
  portfolio create --name N [--cash C] [--base-currency Q] [--user U]     a paper portfolio
  portfolio create --live --exchange-account ID --name N   a LIVE portfolio: type its name back
  portfolio list [--user U] | portfolio shadow ID   portfolios; a live one against its paper shadow
  bot approve-live BOT [--user U]
                                approve a bot on a live portfolio: type its name back (without a
                                terminal: --confirm-name NAME --i-understand-live-trading)
  data backfill SYMBOL TIMEFRAME --since YYYY-MM-DD [--simulated]
                                load candle history; --simulated allows simulated candles when
                                MIKEY_MARKET=auto finds no network (refused otherwise)
  discord register              register Discord slash commands
  token balance | token pools [--all] | token history [--limit N]
                                the platform token (off-chain, never convertible to exchange funds)
  token stake POOL AMOUNT | token unstake STAKE | token claim
  token mint AMOUNT | token grant USER AMOUNT [--reason R] | token supply     (admin)
  token pool-create NAME --apr 0.12 [--lock-days N] [--min-stake N] [--capacity N] [--early-penalty 0.1]
  token pool-close POOL                                                     (admin)

While serve, chat or mcp runs on the embedded database, link, user, apikey, exchange, portfolio,
bot, token, discord register, mcp and chat run through it (a command socket in MIKEY_DATA_DIR; exchange add
reads the secrets here and hands them over privately); db migrate and data backfill need it
stopped.

Configuration comes from environment variables; see .env.example.`;

/** `mikey`, `mikey help`, `mikey --help`, `mikey -h`. */
export function isHelpRequest(argv: readonly string[]): boolean {
  return argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h';
}
