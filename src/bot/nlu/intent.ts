// What the offline understanding makes of a message: a call of one of MIKEY's MCP tools (names and
// arguments exactly as docs/tools.md defines them), a reply, a confirmation answer, a link code, or
// "I didn't get that" with examples.

/** Every tool of the contract in docs/tools.md. */
export const TOOL_NAMES = [
  'get-price', 'get-candles', 'get-order-book', 'search-markets', 'get-funding-rate',
  'get-indicators', 'analyze-market', 'get-chart', 'list-analyses', 'backtest-strategy', 'sweep-strategy', 'list-backtests', 'get-backtest', 'compare-backtests',
  'get-prediction', 'list-predictions', 'get-model-scorecard', 'retrain-model',
  'preview-order', 'place-order', 'cancel-order', 'amend-order', 'list-orders', 'get-order', 'close-position',
  'close-all-positions', 'set-stop-loss', 'set-take-profits',
  'get-portfolio', 'get-balances', 'get-positions', 'get-trades', 'get-performance', 'list-portfolios', 'create-paper-portfolio',
  'get-risk-limits', 'set-risk-limit', 'get-risk-metrics', 'halt-trading', 'resume-trading',
  'create-alert', 'list-alerts', 'delete-alert',
  'whoami', 'explain-order', 'get-report', 'set-report-schedule', 'set-notifications', 'list-exchange-accounts', 'get-shadow',
  'get-token-balance', 'list-staking-pools', 'stake-tokens', 'unstake-tokens', 'claim-rewards', 'get-token-history',
  'mint-tokens', 'grant-tokens', 'create-staking-pool', 'close-staking-pool',
  'create-bot', 'start-bot', 'pause-bot', 'resume-bot', 'stop-bot', 'list-bots', 'get-bot', 'get-strategy-leaderboard',
  'watch-wallet', 'unwatch-wallet', 'list-watched-wallets', 'get-wallet-card', 'get-market-bias',
  'share-wallet', 'unshare-wallet', 'list-community-wallets', 'follow-community-wallet',
  'join-leaderboard', 'leave-leaderboard', 'get-leaderboard', 'create-competition', 'join-competition', 'get-competition', 'list-competitions', 'cancel-competition',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/**
 * What calling a tool does: `read` changes nothing; `write` changes settings, alerts or resting
 * orders; `trade` moves money and so answers with a trade card and a confirmation token first.
 */
export const Effect = { read: 'read', write: 'write', trade: 'trade' } as const;
export type Effect = (typeof Effect)[keyof typeof Effect];

export const TOOL_EFFECT: Record<ToolName, Effect> = {
  'get-price': 'read', 'get-candles': 'read', 'get-order-book': 'read', 'search-markets': 'read', 'get-funding-rate': 'read',
  'get-indicators': 'read', 'analyze-market': 'read', 'get-chart': 'read', 'list-analyses': 'read', 'backtest-strategy': 'read', 'sweep-strategy': 'read', 'list-backtests': 'read', 'get-backtest': 'read', 'compare-backtests': 'read',
  'get-prediction': 'read', 'list-predictions': 'read', 'get-model-scorecard': 'read', 'retrain-model': 'write',
  'preview-order': 'trade', 'place-order': 'trade', 'cancel-order': 'write', 'amend-order': 'write', 'list-orders': 'read',
  'get-order': 'read', 'close-position': 'trade', 'close-all-positions': 'trade', 'set-stop-loss': 'write',
  'set-take-profits': 'write', 'get-portfolio': 'read', 'get-balances': 'read', 'get-positions': 'read', 'get-trades': 'read',
  'get-performance': 'read', 'list-portfolios': 'read', 'create-paper-portfolio': 'write', 'get-risk-limits': 'read',
  'set-risk-limit': 'write', 'get-risk-metrics': 'read', 'halt-trading': 'write', 'resume-trading': 'write',
  'create-alert': 'write', 'list-alerts': 'read', 'delete-alert': 'write', whoami: 'read', 'explain-order': 'read', 'list-exchange-accounts': 'read', 'get-shadow': 'read',
  'get-report': 'read',
  'set-report-schedule': 'write',
  'set-notifications': 'write',
  // Platform-token movements are off-chain and never exchange funds: changes, not trades.
  'get-token-balance': 'read', 'list-staking-pools': 'read', 'stake-tokens': 'write', 'unstake-tokens': 'write', 'claim-rewards': 'write', 'get-token-history': 'read',
  'mint-tokens': 'write', 'grant-tokens': 'write', 'create-staking-pool': 'write', 'close-staking-pool': 'write',
  // A bot trades only after start-bot records the owner's standing approval of its limits card.
  'create-bot': 'write', 'start-bot': 'write', 'pause-bot': 'write', 'resume-bot': 'write', 'stop-bot': 'write', 'list-bots': 'read', 'get-bot': 'read', 'get-strategy-leaderboard': 'read',
  'watch-wallet': 'write', 'unwatch-wallet': 'write', 'list-watched-wallets': 'read', 'get-wallet-card': 'read', 'get-market-bias': 'read',
  'share-wallet': 'write', 'unshare-wallet': 'write', 'list-community-wallets': 'read', 'follow-community-wallet': 'write',
  // A competition portfolio is paper money created for the entrant: a change, not a trade.
  'join-leaderboard': 'write', 'leave-leaderboard': 'write', 'get-leaderboard': 'read', 'create-competition': 'write', 'join-competition': 'write',
  'get-competition': 'read', 'list-competitions': 'read', 'cancel-competition': 'write',
};

export const IntentKind = { tool: 'tool', reply: 'reply', unknown: 'unknown', confirm: 'confirm', link: 'link', explain: 'explain' } as const;
export type IntentKind = (typeof IntentKind)[keyof typeof IntentKind];

export interface ToolIntent {
  kind: 'tool';
  tool: ToolName;
  /** Arguments exactly as the tool's input schema names them; amounts are decimal strings. */
  args: Record<string, unknown>;
  /** One line saying what MIKEY is about to do, for the surface to show. */
  summary: string;
  effect: Effect;
  /** Something the person should read before the result (e.g. why "cancel all" lists orders instead). */
  note?: string;
  /**
   * get-bot asked as "start bot X": the chat offers a stopped paper bot's card for approval, and the
   * person's "yes" runs start-bot. Nothing starts from the message itself.
   */
  offerStart?: true;
}

export interface ReplyIntent {
  kind: 'reply';
  text: string;
}

export interface UnknownIntent {
  kind: 'unknown';
  /** "I didn't get that; try …" with examples that fit what was written. */
  text: string;
}

export const ConfirmAnswer = { yes: 'yes', no: 'no' } as const;
export type ConfirmAnswer = (typeof ConfirmAnswer)[keyof typeof ConfirmAnswer];

/** "yes" / "no" to a pending trade card; the surface or the brain matches it to the pending token. */
export interface ConfirmIntent {
  kind: 'confirm';
  answer: ConfirmAnswer;
}

/** "link MK-7F3K-9Q2B": the chat surface redeems the code for the sender's platform identity. */
export interface LinkIntent {
  kind: 'link';
  code: string;
}

/** Which of the person's orders a "why did you …?" means: the newest one that fits every field given. */
export interface OrderMatch {
  side?: 'buy' | 'sell';
  /** Base asset ("SOL"): any market of it, spot or perpetual. */
  base?: string;
  /** A protective exit of a position: "why did my stop trigger". */
  exitRole?: 'stop_loss' | 'take_profit';
  /** "my last trade": only orders that filled (at least partly). */
  filled?: boolean;
}

/**
 * "why did you buy SOL?", "explain my last trade": explain-order for the newest matching order of
 * the person. The brain finds the order (list-orders) and then calls explain-order with its id.
 */
export interface ExplainIntent {
  kind: 'explain';
  match: OrderMatch;
  summary: string;
}

export type Intent = ToolIntent | ReplyIntent | UnknownIntent | ConfirmIntent | LinkIntent | ExplainIntent;

export interface UnderstandContext {
  /** Quote asset for bare tickers (default USDT): "sol" → "SOL/USDT". */
  defaultQuote?: string;
  /** Extra tickers or symbols to recognise in lower case ("jto", "WIF/USDT"). */
  knownSymbols?: string[];
  /**
   * The person's own watched wallets: a message that nothing else reads and that is about one of them
   * by its label ("what is smart whale doing") opens its card; "rename smart whale to big fish" and
   * "tag smart whale as dex trader" update its watch.
   */
  watchedWallets?: readonly KnownWallet[];
}

/** One of the person's watched wallets, as the chat passes them to the understanding. */
export interface KnownWallet {
  label: string | null;
  address: string;
  chain: string;
  tags: readonly string[];
}

export function toolIntent(tool: ToolName, args: Record<string, unknown>, summary: string, note?: string): ToolIntent {
  return { kind: 'tool', tool, args, summary, effect: TOOL_EFFECT[tool], ...(note ? { note } : {}) };
}
