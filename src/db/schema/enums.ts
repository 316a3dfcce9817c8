// Every closed set of values in the schema. Each one is declared three times from one source:
// an `as const` object (`OrderStatus.filled`) with its derived type, a tuple of its values for zod
// (`z.enum(ORDER_STATUSES)`), and the Postgres enum type the columns use. Values are the seeds'
// values, lower-cased; where two seeds spell the same state differently the mapping is in
// docs/data-model.md (e.g. seed 002's order status `partial` is `partially_filled`).
import { pgEnum } from 'drizzle-orm/pg-core';
// Order side, status and time in force are defined once, in the pure domain (the status transition
// table lives there); the schema turns them into Postgres enums.
import { OrderSide, OrderStatus, TimeInForce } from '../../domain/order.js';

export { OrderSide, OrderStatus, TimeInForce };

type Values<T extends Record<string, string>> = [T[keyof T], ...Array<T[keyof T]>];

/** The values of an `as const` object as a non-empty tuple, as `pgEnum` and `z.enum` want them. */
export function enumValues<T extends Record<string, string>>(o: T): Values<T> {
  return Object.values(o) as Values<T>;
}

/** Seed 001 `UserRole`. */
export const UserRole = { admin: 'admin', trader: 'trader', viewer: 'viewer' } as const;
export type UserRole = (typeof UserRole)[keyof typeof UserRole];
export const USER_ROLES = enumValues(UserRole);
export const userRole = pgEnum('user_role', USER_ROLES);

/** Seed 000 `kyc_status` (the seed names the enum but not its values; these are the usual states). */
export const KycStatus = { none: 'none', pending: 'pending', verified: 'verified', rejected: 'rejected', expired: 'expired' } as const;
export type KycStatus = (typeof KycStatus)[keyof typeof KycStatus];
export const KYC_STATUSES = enumValues(KycStatus);
export const kycStatus = pgEnum('kyc_status', KYC_STATUSES);

/** Seed 000 `risk_level`. */
export const RiskLevel = { conservative: 'conservative', moderate: 'moderate', aggressive: 'aggressive' } as const;
export type RiskLevel = (typeof RiskLevel)[keyof typeof RiskLevel];
export const RISK_LEVELS = enumValues(RiskLevel);
export const riskLevel = pgEnum('risk_level', RISK_LEVELS);

/** Paper (simulated fills, seed 004 `demo`, seed 001 `is_paper`) or live (real exchange). */
export const TradingMode = { paper: 'paper', live: 'live' } as const;
export type TradingMode = (typeof TradingMode)[keyof typeof TradingMode];
export const TRADING_MODES = enumValues(TradingMode);
export const tradingMode = pgEnum('trading_mode', TRADING_MODES);

/** Seed 002 `trading_accounts.account_type`. */
export const AccountType = { spot: 'spot', margin: 'margin', futures: 'futures' } as const;
export type AccountType = (typeof AccountType)[keyof typeof AccountType];
export const ACCOUNT_TYPES = enumValues(AccountType);
export const accountType = pgEnum('account_type', ACCOUNT_TYPES);

/** What a market trades: spot pairs (`BTC/USDT`) or perpetual futures (`SOL-PERP`, seed 000). */
export const MarketKind = { spot: 'spot', perp: 'perp' } as const;
export type MarketKind = (typeof MarketKind)[keyof typeof MarketKind];
export const MARKET_KINDS = enumValues(MarketKind);
export const marketKind = pgEnum('market_kind', MARKET_KINDS);

/** Seed 001 `OrderSide`; also seed 000/002/004 order and trade sides. */
export const ORDER_SIDES = enumValues(OrderSide);
export const orderSide = pgEnum('order_side', ORDER_SIDES);

/**
 * Union of seed 000 (market, limit, stop, stop-limit), 001 `OrderType` (… stop_loss, twap, vwap) and
 * 002 (market, limit, stop, stop_limit), plus take_profit and trailing_stop. `stop_loss` is seed
 * 001's name for a stop-market order that protects a position; it is kept so its rows load as they
 * are, and it executes like `stop`.
 */
export const OrderType = {
  market: 'market',
  limit: 'limit',
  stop: 'stop',
  stopLimit: 'stop_limit',
  stopLoss: 'stop_loss',
  takeProfit: 'take_profit',
  trailingStop: 'trailing_stop',
  twap: 'twap',
  vwap: 'vwap',
} as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];
export const ORDER_TYPES = enumValues(OrderType);
export const orderType = pgEnum('order_type', ORDER_TYPES);

/** Seed 001 `OrderStatus` plus `expired` (time in force / expires_at). Seed 002 `partial` = `partially_filled`. */
export const ORDER_STATUSES = enumValues(OrderStatus);
export const orderStatus = pgEnum('order_status', ORDER_STATUSES);

/** Seed 002 `time_in_force` (GTC, IOC, FOK), lower-cased. */
export const TIME_IN_FORCES = enumValues(TimeInForce);
export const timeInForce = pgEnum('time_in_force', TIME_IN_FORCES);

/** Seed 000/004 position side. */
export const PositionSide = { long: 'long', short: 'short' } as const;
export type PositionSide = (typeof PositionSide)[keyof typeof PositionSide];
export const POSITION_SIDES = enumValues(PositionSide);
export const positionSide = pgEnum('position_side', POSITION_SIDES);

/** An open position becomes closed (by trading) or liquidated (by the margin engine). */
export const PositionStatus = { open: 'open', closed: 'closed', liquidated: 'liquidated' } as const;
export type PositionStatus = (typeof PositionStatus)[keyof typeof PositionStatus];
export const POSITION_STATUSES = enumValues(PositionStatus);
export const positionStatus = pgEnum('position_status', POSITION_STATUSES);

/** Whether a fill added liquidity to the book (maker) or took it (taker); decides the fee rate. */
export const Liquidity = { maker: 'maker', taker: 'taker' } as const;
export type Liquidity = (typeof Liquidity)[keyof typeof Liquidity];
export const LIQUIDITIES = enumValues(Liquidity);
export const liquidity = pgEnum('liquidity', LIQUIDITIES);

/**
 * Seed 001 `StrategyType`, spelled exactly as the seed (`grid_trading`, `statistical_arbitrage`),
 * plus seed 002's `trend_following` and `arbitrage` (its comment lists them; `mean_reversion` is in both).
 */
export const StrategyType = {
  gridTrading: 'grid_trading',
  dca: 'dca',
  momentum: 'momentum',
  meanReversion: 'mean_reversion',
  statisticalArbitrage: 'statistical_arbitrage',
  marketMaking: 'market_making',
  whaleFollowing: 'whale_following',
  liquidationHunting: 'liquidation_hunting',
  yieldOptimization: 'yield_optimization',
  trendFollowing: 'trend_following',
  arbitrage: 'arbitrage',
  /** MIKEY's: trades on a model's walk-forward predictions (issue 12). */
  predictionFollowing: 'prediction_following',
} as const;
export type StrategyType = (typeof StrategyType)[keyof typeof StrategyType];
export const STRATEGY_TYPES = enumValues(StrategyType);
export const strategyType = pgEnum('strategy_type', STRATEGY_TYPES);

/** Seed 001 `AlertSeverity` (notifications). */
export const AlertSeverity = { info: 'info', warning: 'warning', error: 'error', critical: 'critical' } as const;
export type AlertSeverity = (typeof AlertSeverity)[keyof typeof AlertSeverity];
export const ALERT_SEVERITIES = enumValues(AlertSeverity);
export const alertSeverity = pgEnum('alert_severity', ALERT_SEVERITIES);

/** Seed 002 `risk_alerts.severity` — a different scale from notifications, kept as the seed has it. */
export const RiskAlertSeverity = { low: 'low', medium: 'medium', high: 'high', critical: 'critical' } as const;
export type RiskAlertSeverity = (typeof RiskAlertSeverity)[keyof typeof RiskAlertSeverity];
export const RISK_ALERT_SEVERITIES = enumValues(RiskAlertSeverity);
export const riskAlertSeverity = pgEnum('risk_alert_severity', RISK_ALERT_SEVERITIES);

/** An alert rule fires once and then stops, or fires on every new crossing (after its cooldown). */
export const AlertRuleMode = { once: 'once', repeat: 'repeat' } as const;
export type AlertRuleMode = (typeof AlertRuleMode)[keyof typeof AlertRuleMode];
export const ALERT_RULE_MODES = enumValues(AlertRuleMode);
export const alertRuleMode = pgEnum('alert_rule_mode', ALERT_RULE_MODES);

export const AlertRuleStatus = { active: 'active', triggered: 'triggered', paused: 'paused', deleted: 'deleted' } as const;
export type AlertRuleStatus = (typeof AlertRuleStatus)[keyof typeof AlertRuleStatus];
export const ALERT_RULE_STATUSES = enumValues(AlertRuleStatus);
export const alertRuleStatus = pgEnum('alert_rule_status', ALERT_RULE_STATUSES);

/** Per kind of notification: push it, deliver it silently, or not at all. */
export const NotificationMode = { on: 'on', silent: 'silent', off: 'off' } as const;
export type NotificationMode = (typeof NotificationMode)[keyof typeof NotificationMode];
export const NOTIFICATION_MODES = enumValues(NotificationMode);
export const notificationMode = pgEnum('notification_mode', NOTIFICATION_MODES);

/** Seed 000 `AIAnalysis.analysis_type` (market analysis, trading signal, risk assessment). */
export const AnalysisType = { marketAnalysis: 'market_analysis', tradingSignal: 'trading_signal', riskAssessment: 'risk_assessment' } as const;
export type AnalysisType = (typeof AnalysisType)[keyof typeof AnalysisType];
export const ANALYSIS_TYPES = enumValues(AnalysisType);
export const analysisType = pgEnum('analysis_type', ANALYSIS_TYPES);

/** Seed 000 `AIAnalysis.recommendation`. */
export const Recommendation = { buy: 'buy', sell: 'sell', hold: 'hold', close: 'close' } as const;
export type Recommendation = (typeof Recommendation)[keyof typeof Recommendation];
export const RECOMMENDATIONS = enumValues(Recommendation);
export const recommendation = pgEnum('recommendation', RECOMMENDATIONS);

/** Seed 001 `ml_predictions.predicted_direction`. */
export const PredictionDirection = { up: 'up', down: 'down', neutral: 'neutral' } as const;
export type PredictionDirection = (typeof PredictionDirection)[keyof typeof PredictionDirection];
export const PREDICTION_DIRECTIONS = enumValues(PredictionDirection);
export const predictionDirection = pgEnum('prediction_direction', PREDICTION_DIRECTIONS);

/** Seed 002 `trading_signals.action`. */
export const SignalAction = { buy: 'buy', sell: 'sell', hold: 'hold' } as const;
export type SignalAction = (typeof SignalAction)[keyof typeof SignalAction];
export const SIGNAL_ACTIONS = enumValues(SignalAction);
export const signalAction = pgEnum('signal_action', SIGNAL_ACTIONS);

/** Seed 002 `trading_agents.status`. */
export const AgentStatus = { active: 'active', inactive: 'inactive', error: 'error' } as const;
export type AgentStatus = (typeof AgentStatus)[keyof typeof AgentStatus];
export const AGENT_STATUSES = enumValues(AgentStatus);
export const agentStatus = pgEnum('agent_status', AGENT_STATUSES);

/** A trading bot (seed 003) is stopped until started; `error` stops it until a person looks. */
export const BotStatus = { stopped: 'stopped', running: 'running', paused: 'paused', error: 'error' } as const;
export type BotStatus = (typeof BotStatus)[keyof typeof BotStatus];
export const BOT_STATUSES = enumValues(BotStatus);
export const botStatus = pgEnum('bot_status', BOT_STATUSES);

/**
 * Seed 002 `exchange_status.status`. The Postgres type is `exchange_health` because a table named
 * `exchange_status` already owns that type name.
 */
export const ExchangeHealth = { online: 'online', offline: 'offline', maintenance: 'maintenance' } as const;
export type ExchangeHealth = (typeof ExchangeHealth)[keyof typeof ExchangeHealth];
export const EXCHANGE_HEALTHS = enumValues(ExchangeHealth);
export const exchangeHealth = pgEnum('exchange_health', EXCHANGE_HEALTHS);

/** Seed 002 `system_logs.level` (DEBUG … CRITICAL), lower-cased. */
export const LogLevel = { debug: 'debug', info: 'info', warning: 'warning', error: 'error', critical: 'critical' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
export const LOG_LEVELS = enumValues(LogLevel);
export const logLevel = pgEnum('log_level', LOG_LEVELS);

/** A platform-token stake (seed 003) earns while active, is locked while unstaking, then is withdrawn. */
export const StakeStatus = { active: 'active', unstaking: 'unstaking', withdrawn: 'withdrawn' } as const;
export type StakeStatus = (typeof StakeStatus)[keyof typeof StakeStatus];
export const STAKE_STATUSES = enumValues(StakeStatus);
export const stakeStatus = pgEnum('stake_status', STAKE_STATUSES);

// Open sets kept as `text` (new values need no migration); these are the values MIKEY writes.

/** `chat_identities.platform`. */
export const ChatPlatform = { telegram: 'telegram', discord: 'discord' } as const;
export type ChatPlatform = (typeof ChatPlatform)[keyof typeof ChatPlatform];
export const CHAT_PLATFORMS = enumValues(ChatPlatform);

/** `orders.source`: the surface an order came from. */
export const OrderSource = {
  mcp: 'mcp',
  telegram: 'telegram',
  discord: 'discord',
  terminal: 'terminal',
  api: 'api',
  strategy: 'strategy',
} as const;
export type OrderSource = (typeof OrderSource)[keyof typeof OrderSource];
export const ORDER_SOURCES = enumValues(OrderSource);

/** `audit_logs.actor_type`. */
export const ActorType = { user: 'user', system: 'system', apiKey: 'api_key', agent: 'agent' } as const;
export type ActorType = (typeof ActorType)[keyof typeof ActorType];
export const ACTOR_TYPES = enumValues(ActorType);

/** `ledger_entries.reason`: why a balance moved. */
export const LedgerReason = {
  deposit: 'deposit',
  withdrawal: 'withdrawal',
  reserve: 'reserve',
  release: 'release',
  fill: 'fill',
  fee: 'fee',
  funding: 'funding',
  realizedPnl: 'realized_pnl',
  margin: 'margin',
  liquidation: 'liquidation',
  adjustment: 'adjustment',
} as const;
export type LedgerReason = (typeof LedgerReason)[keyof typeof LedgerReason];
export const LEDGER_REASONS = enumValues(LedgerReason);

/** `risk_limits.limit_type` (seed 002 `trading_limits.limit_type` plus MIKEY's own). */
export const RiskLimitType = {
  dailyLoss: 'daily_loss',
  positionSize: 'position_size',
  symbolNotional: 'symbol_notional',
  leverage: 'leverage',
  maxOpenPositions: 'max_open_positions',
  symbolAllow: 'symbol_allow',
  symbolDeny: 'symbol_deny',
} as const;
export type RiskLimitType = (typeof RiskLimitType)[keyof typeof RiskLimitType];
export const RISK_LIMIT_TYPES = enumValues(RiskLimitType);
