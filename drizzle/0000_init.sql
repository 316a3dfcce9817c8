CREATE TYPE "public"."account_type" AS ENUM('spot', 'margin', 'futures');--> statement-breakpoint
CREATE TYPE "public"."agent_status" AS ENUM('active', 'inactive', 'error');--> statement-breakpoint
CREATE TYPE "public"."alert_rule_mode" AS ENUM('once', 'repeat');--> statement-breakpoint
CREATE TYPE "public"."alert_rule_status" AS ENUM('active', 'triggered', 'paused', 'deleted');--> statement-breakpoint
CREATE TYPE "public"."alert_severity" AS ENUM('info', 'warning', 'error', 'critical');--> statement-breakpoint
CREATE TYPE "public"."analysis_type" AS ENUM('market_analysis', 'trading_signal', 'risk_assessment');--> statement-breakpoint
CREATE TYPE "public"."bot_status" AS ENUM('stopped', 'running', 'paused', 'error');--> statement-breakpoint
CREATE TYPE "public"."exchange_health" AS ENUM('online', 'offline', 'maintenance');--> statement-breakpoint
CREATE TYPE "public"."kyc_status" AS ENUM('none', 'pending', 'verified', 'rejected', 'expired');--> statement-breakpoint
CREATE TYPE "public"."liquidity" AS ENUM('maker', 'taker');--> statement-breakpoint
CREATE TYPE "public"."log_level" AS ENUM('debug', 'info', 'warning', 'error', 'critical');--> statement-breakpoint
CREATE TYPE "public"."market_kind" AS ENUM('spot', 'perp');--> statement-breakpoint
CREATE TYPE "public"."notification_mode" AS ENUM('on', 'silent', 'off');--> statement-breakpoint
CREATE TYPE "public"."order_side" AS ENUM('buy', 'sell');--> statement-breakpoint
CREATE TYPE "public"."order_status" AS ENUM('pending', 'open', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired');--> statement-breakpoint
CREATE TYPE "public"."order_type" AS ENUM('market', 'limit', 'stop', 'stop_limit', 'stop_loss', 'take_profit', 'trailing_stop', 'twap', 'vwap');--> statement-breakpoint
CREATE TYPE "public"."position_side" AS ENUM('long', 'short');--> statement-breakpoint
CREATE TYPE "public"."position_status" AS ENUM('open', 'closed', 'liquidated');--> statement-breakpoint
CREATE TYPE "public"."prediction_direction" AS ENUM('up', 'down', 'neutral');--> statement-breakpoint
CREATE TYPE "public"."recommendation" AS ENUM('buy', 'sell', 'hold', 'close');--> statement-breakpoint
CREATE TYPE "public"."risk_alert_severity" AS ENUM('low', 'medium', 'high', 'critical');--> statement-breakpoint
CREATE TYPE "public"."risk_level" AS ENUM('conservative', 'moderate', 'aggressive');--> statement-breakpoint
CREATE TYPE "public"."signal_action" AS ENUM('buy', 'sell', 'hold');--> statement-breakpoint
CREATE TYPE "public"."stake_status" AS ENUM('active', 'unstaking', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."strategy_type" AS ENUM('grid_trading', 'dca', 'momentum', 'mean_reversion', 'statistical_arbitrage', 'market_making', 'whale_following', 'liquidation_hunting', 'yield_optimization', 'trend_following', 'arbitrage');--> statement-breakpoint
CREATE TYPE "public"."time_in_force" AS ENUM('gtc', 'ioc', 'fok');--> statement-breakpoint
CREATE TYPE "public"."trading_mode" AS ENUM('paper', 'live');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('admin', 'trader', 'viewer');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text,
	"description" text,
	"key_prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"permissions" text[] DEFAULT '{}'::text[] NOT NULL,
	"rate_limit_per_minute" integer DEFAULT 60 NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"total_requests" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_rate_limit_nonnegative" CHECK ("api_keys"."rate_limit_per_minute" >= 0),
	CONSTRAINT "api_keys_total_requests_nonnegative" CHECK ("api_keys"."total_requests" >= 0)
);
--> statement-breakpoint
CREATE TABLE "chat_identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"platform" text NOT NULL,
	"external_user_id" text NOT NULL,
	"username" text,
	"chat_id" text,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_identities_platform_external_user_unique" UNIQUE("platform","external_user_id")
);
--> statement-breakpoint
CREATE TABLE "link_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"platform" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "link_codes_code_hash_unique" UNIQUE("code_hash")
);
--> statement-breakpoint
CREATE TABLE "notification_preferences" (
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"mode" "notification_mode" DEFAULT 'on' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_preferences_pkey" PRIMARY KEY("user_id","kind")
);
--> statement-breakpoint
CREATE TABLE "user_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ip_address" "inet",
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "user_sessions_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text,
	"email" text,
	"display_name" text,
	"password_hash" text,
	"role" "user_role" DEFAULT 'trader' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"email_verified" boolean DEFAULT false NOT NULL,
	"wallet_address" text,
	"kyc_status" "kyc_status" DEFAULT 'none' NOT NULL,
	"risk_level" "risk_level" DEFAULT 'moderate' NOT NULL,
	"trading_preferences" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"trading_mode" "trading_mode" DEFAULT 'paper' NOT NULL,
	"two_factor_enabled" boolean DEFAULT false NOT NULL,
	"two_factor_secret_encrypted" text,
	"last_login_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "balances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"free" numeric(38, 18) DEFAULT '0' NOT NULL,
	"locked" numeric(38, 18) DEFAULT '0' NOT NULL,
	"total" numeric(38, 18) GENERATED ALWAYS AS ("free" + "locked") STORED,
	"usd_value" numeric(38, 18),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "balances_portfolio_asset_unique" UNIQUE("portfolio_id","asset"),
	CONSTRAINT "balances_free_nonnegative" CHECK ("balances"."free" >= 0),
	CONSTRAINT "balances_locked_nonnegative" CHECK ("balances"."locked" >= 0)
);
--> statement-breakpoint
CREATE TABLE "exchange_credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid,
	"exchange" text NOT NULL,
	"label" text,
	"api_key_ciphertext" text NOT NULL,
	"api_secret_ciphertext" text NOT NULL,
	"passphrase_ciphertext" text,
	"key_version" integer DEFAULT 1 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"is_valid" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"portfolio_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"free_delta" numeric(38, 18) DEFAULT '0' NOT NULL,
	"locked_delta" numeric(38, 18) DEFAULT '0' NOT NULL,
	"free_after" numeric(38, 18) NOT NULL,
	"locked_after" numeric(38, 18) NOT NULL,
	"reason" text NOT NULL,
	"ref_type" text,
	"ref_id" text,
	"trace_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_free_after_nonnegative" CHECK ("ledger_entries"."free_after" >= 0),
	CONSTRAINT "ledger_entries_locked_after_nonnegative" CHECK ("ledger_entries"."locked_after" >= 0)
);
--> statement-breakpoint
CREATE TABLE "portfolio_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"snapshot_date" date NOT NULL,
	"snapshot_at" timestamp with time zone DEFAULT now() NOT NULL,
	"total_value" numeric(38, 18) NOT NULL,
	"cash" numeric(38, 18) DEFAULT '0' NOT NULL,
	"positions_value" numeric(38, 18) DEFAULT '0' NOT NULL,
	"margin_used" numeric(38, 18) DEFAULT '0' NOT NULL,
	"realized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"unrealized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"total_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"daily_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fees" numeric(38, 18) DEFAULT '0' NOT NULL,
	"positions_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portfolio_snapshots_portfolio_date_unique" UNIQUE("portfolio_id","snapshot_date")
);
--> statement-breakpoint
CREATE TABLE "portfolios" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"trading_mode" "trading_mode" DEFAULT 'paper' NOT NULL,
	"account_type" "account_type" DEFAULT 'spot' NOT NULL,
	"exchange" text DEFAULT 'paper' NOT NULL,
	"external_account_id" text,
	"base_currency" text DEFAULT 'USDT' NOT NULL,
	"initial_capital" numeric(38, 18) DEFAULT '0' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"auto_confirm" boolean DEFAULT false NOT NULL,
	"trading_halted" boolean DEFAULT false NOT NULL,
	"halted_reason" text,
	"halted_at" timestamp with time zone,
	"maker_fee_rate" numeric(20, 10) DEFAULT '0.001' NOT NULL,
	"taker_fee_rate" numeric(20, 10) DEFAULT '0.001' NOT NULL,
	"current_value" numeric(38, 18) DEFAULT '0' NOT NULL,
	"cash_balance" numeric(38, 18) DEFAULT '0' NOT NULL,
	"total_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"total_pnl_percent" numeric(20, 10) DEFAULT '0' NOT NULL,
	"daily_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"sharpe_ratio" numeric(20, 10),
	"max_drawdown" numeric(20, 10),
	"win_rate" numeric(20, 10),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portfolios_user_name_unique" UNIQUE("user_id","name"),
	CONSTRAINT "portfolios_id_user_unique" UNIQUE("id","user_id"),
	CONSTRAINT "portfolios_initial_capital_nonnegative" CHECK ("portfolios"."initial_capital" >= 0),
	CONSTRAINT "portfolios_fee_rates_sane" CHECK ("portfolios"."maker_fee_rate" > -1 and "portfolios"."maker_fee_rate" < 1 and "portfolios"."taker_fee_rate" >= 0 and "portfolios"."taker_fee_rate" < 1)
);
--> statement-breakpoint
CREATE TABLE "candles" (
	"symbol" text NOT NULL,
	"exchange" text NOT NULL,
	"timeframe" text NOT NULL,
	"open_time" timestamp with time zone NOT NULL,
	"close_time" timestamp with time zone,
	"open" numeric(38, 18) NOT NULL,
	"high" numeric(38, 18) NOT NULL,
	"low" numeric(38, 18) NOT NULL,
	"close" numeric(38, 18) NOT NULL,
	"volume" numeric(38, 18) NOT NULL,
	"quote_volume" numeric(38, 18),
	"vwap" numeric(38, 18),
	"trade_count" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "candles_pkey" PRIMARY KEY("symbol","exchange","timeframe","open_time"),
	CONSTRAINT "candles_high_low" CHECK ("candles"."high" >= "candles"."low"),
	CONSTRAINT "candles_volume_nonnegative" CHECK ("candles"."volume" >= 0)
);
--> statement-breakpoint
CREATE TABLE "markets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"symbol" text NOT NULL,
	"exchange" text NOT NULL,
	"base_asset" text NOT NULL,
	"quote_asset" text NOT NULL,
	"kind" "market_kind" DEFAULT 'spot' NOT NULL,
	"tick_size" numeric(38, 18) NOT NULL,
	"step_size" numeric(38, 18) NOT NULL,
	"min_qty" numeric(38, 18) DEFAULT '0' NOT NULL,
	"max_qty" numeric(38, 18),
	"min_notional" numeric(38, 18) DEFAULT '0' NOT NULL,
	"max_leverage" integer DEFAULT 1 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"pyth_feed_id" text,
	"staleness_threshold_seconds" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "markets_exchange_symbol_unique" UNIQUE("exchange","symbol"),
	CONSTRAINT "markets_tick_size_positive" CHECK ("markets"."tick_size" > 0),
	CONSTRAINT "markets_step_size_positive" CHECK ("markets"."step_size" > 0),
	CONSTRAINT "markets_min_qty_nonnegative" CHECK ("markets"."min_qty" >= 0),
	CONSTRAINT "markets_max_qty_above_min" CHECK ("markets"."max_qty" is null or "markets"."max_qty" >= "markets"."min_qty"),
	CONSTRAINT "markets_min_notional_nonnegative" CHECK ("markets"."min_notional" >= 0),
	CONSTRAINT "markets_max_leverage_positive" CHECK ("markets"."max_leverage" >= 1)
);
--> statement-breakpoint
CREATE TABLE "order_book_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"symbol" text NOT NULL,
	"exchange" text NOT NULL,
	"bids" jsonb NOT NULL,
	"asks" jsonb NOT NULL,
	"captured_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "price_ticks" (
	"feed_id" text NOT NULL,
	"symbol" text NOT NULL,
	"price" numeric(38, 18) NOT NULL,
	"confidence" numeric(38, 18) NOT NULL,
	"exponent" integer NOT NULL,
	"publish_time" timestamp with time zone NOT NULL,
	"ema_price" numeric(38, 18),
	"ema_confidence" numeric(38, 18),
	"source" text DEFAULT 'pyth' NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "price_ticks_pkey" PRIMARY KEY("feed_id","publish_time"),
	CONSTRAINT "price_ticks_confidence_nonnegative" CHECK ("price_ticks"."confidence" >= 0)
);
--> statement-breakpoint
CREATE TABLE "tickers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"symbol" text NOT NULL,
	"exchange" text NOT NULL,
	"last" numeric(38, 18) NOT NULL,
	"bid" numeric(38, 18),
	"ask" numeric(38, 18),
	"high_24h" numeric(38, 18),
	"low_24h" numeric(38, 18),
	"volume_24h" numeric(38, 18),
	"quote_volume_24h" numeric(38, 18),
	"change_24h" numeric(38, 18),
	"change_24h_percent" numeric(20, 10),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "uk_ticker_symbol_exchange" UNIQUE("exchange","symbol")
);
--> statement-breakpoint
CREATE TABLE "confirmation_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"params_hash" text NOT NULL,
	"card" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"order_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "confirmation_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"client_order_id" text NOT NULL,
	"exchange_order_id" text,
	"parent_order_id" uuid,
	"position_id" uuid,
	"strategy_id" uuid,
	"signal_id" uuid,
	"signal_event_id" uuid,
	"symbol" text NOT NULL,
	"exchange" text,
	"side" "order_side" NOT NULL,
	"order_type" "order_type" NOT NULL,
	"status" "order_status" DEFAULT 'pending' NOT NULL,
	"time_in_force" time_in_force DEFAULT 'gtc' NOT NULL,
	"quantity" numeric(38, 18) NOT NULL,
	"quote_quantity" numeric(38, 18),
	"price" numeric(38, 18),
	"stop_price" numeric(38, 18),
	"trailing_amount" numeric(38, 18),
	"trailing_percent" numeric(20, 10),
	"trail_reference_price" numeric(38, 18),
	"filled_quantity" numeric(38, 18) DEFAULT '0' NOT NULL,
	"average_fill_price" numeric(38, 18),
	"fee" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fee_asset" text,
	"reserved_asset" text,
	"reserved_amount" numeric(38, 18) DEFAULT '0' NOT NULL,
	"leverage" numeric(20, 10) DEFAULT '1' NOT NULL,
	"reduce_only" boolean DEFAULT false NOT NULL,
	"post_only" boolean DEFAULT false NOT NULL,
	"stop_loss" numeric(38, 18),
	"take_profits" jsonb,
	"algo_params" jsonb,
	"policy_snapshot" jsonb,
	"request_hash" text,
	"reject_reason" text,
	"source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"submitted_at" timestamp with time zone,
	"executed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	CONSTRAINT "orders_id_portfolio_unique" UNIQUE("id","portfolio_id"),
	CONSTRAINT "orders_quantity_positive" CHECK ("orders"."quantity" > 0),
	CONSTRAINT "orders_filled_quantity_range" CHECK ("orders"."filled_quantity" >= 0 and "orders"."filled_quantity" <= "orders"."quantity"),
	CONSTRAINT "orders_quote_quantity_positive" CHECK ("orders"."quote_quantity" is null or "orders"."quote_quantity" > 0),
	CONSTRAINT "orders_price_positive" CHECK ("orders"."price" is null or "orders"."price" > 0),
	CONSTRAINT "orders_stop_price_positive" CHECK ("orders"."stop_price" is null or "orders"."stop_price" > 0),
	CONSTRAINT "orders_stop_loss_positive" CHECK ("orders"."stop_loss" is null or "orders"."stop_loss" > 0),
	CONSTRAINT "orders_trailing_positive" CHECK (("orders"."trailing_amount" is null or "orders"."trailing_amount" > 0) and ("orders"."trailing_percent" is null or "orders"."trailing_percent" > 0)),
	CONSTRAINT "orders_reserved_amount_nonnegative" CHECK ("orders"."reserved_amount" >= 0),
	CONSTRAINT "orders_leverage_positive" CHECK ("orders"."leverage" > 0),
	CONSTRAINT "orders_average_fill_price_positive" CHECK ("orders"."average_fill_price" is null or "orders"."average_fill_price" > 0)
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"exchange" text,
	"kind" "market_kind" DEFAULT 'spot' NOT NULL,
	"side" "position_side" DEFAULT 'long' NOT NULL,
	"status" "position_status" DEFAULT 'open' NOT NULL,
	"quantity" numeric(38, 18) NOT NULL,
	"entry_price" numeric(38, 18) NOT NULL,
	"mark_price" numeric(38, 18),
	"market_value" numeric(38, 18) GENERATED ALWAYS AS ("quantity" * "mark_price") STORED,
	"leverage" numeric(20, 10) DEFAULT '1' NOT NULL,
	"margin" numeric(38, 18) DEFAULT '0' NOT NULL,
	"maintenance_margin_rate" numeric(20, 10),
	"liquidation_price" numeric(38, 18),
	"unrealized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"unrealized_pnl_percent" numeric(20, 10),
	"realized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fees_paid" numeric(38, 18) DEFAULT '0' NOT NULL,
	"funding_paid" numeric(38, 18) DEFAULT '0' NOT NULL,
	"max_drawdown" numeric(20, 10),
	"stop_loss" numeric(38, 18),
	"take_profits" jsonb,
	"exit_price" numeric(38, 18),
	"risk_consumed" numeric(20, 10),
	"signal_wallet_id" uuid,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"holding_seconds" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "positions_quantity_nonnegative" CHECK ("positions"."quantity" >= 0),
	CONSTRAINT "positions_open_quantity_positive" CHECK ("positions"."status" <> 'open' or "positions"."quantity" > 0),
	CONSTRAINT "positions_entry_price_positive" CHECK ("positions"."entry_price" > 0),
	CONSTRAINT "positions_leverage_positive" CHECK ("positions"."leverage" > 0),
	CONSTRAINT "positions_margin_nonnegative" CHECK ("positions"."margin" >= 0),
	CONSTRAINT "positions_closed_at_matches_status" CHECK (("positions"."status" = 'open') = ("positions"."closed_at" is null))
);
--> statement-breakpoint
CREATE TABLE "trades" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"exchange_trade_id" text NOT NULL,
	"symbol" text NOT NULL,
	"exchange" text,
	"side" "order_side" NOT NULL,
	"quantity" numeric(38, 18) NOT NULL,
	"price" numeric(38, 18) NOT NULL,
	"quote_quantity" numeric(38, 18) NOT NULL,
	"fee" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fee_asset" text,
	"realized_pnl" numeric(38, 18),
	"realized_pnl_percent" numeric(20, 10),
	"liquidity" "liquidity",
	"executed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trades_quantity_positive" CHECK ("trades"."quantity" > 0),
	CONSTRAINT "trades_price_positive" CHECK ("trades"."price" > 0),
	CONSTRAINT "trades_quote_quantity_nonnegative" CHECK ("trades"."quote_quantity" >= 0)
);
--> statement-breakpoint
CREATE TABLE "risk_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid,
	"alert_type" text NOT NULL,
	"severity" "risk_alert_severity" NOT NULL,
	"message" text NOT NULL,
	"data" jsonb,
	"acknowledged" boolean DEFAULT false NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "risk_limits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid,
	"limit_type" text NOT NULL,
	"symbol" text,
	"value" numeric(38, 18),
	"value_text" text,
	"current_value" numeric(38, 18),
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "risk_limits_has_value" CHECK ("risk_limits"."value" is not null or "risk_limits"."value_text" is not null)
);
--> statement-breakpoint
CREATE TABLE "risk_metrics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid,
	"portfolio_risk" numeric(20, 10),
	"value_at_risk" numeric(38, 18),
	"max_drawdown" numeric(20, 10),
	"sharpe_ratio" numeric(20, 10),
	"position_risks" jsonb,
	"calculated_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid,
	"title" text NOT NULL,
	"symbol" text,
	"condition" jsonb NOT NULL,
	"mode" "alert_rule_mode" DEFAULT 'once' NOT NULL,
	"cooldown_seconds" integer DEFAULT 0 NOT NULL,
	"status" "alert_rule_status" DEFAULT 'active' NOT NULL,
	"last_state" jsonb,
	"last_triggered_at" timestamp with time zone,
	"trigger_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_cooldown_nonnegative" CHECK ("alert_rules"."cooldown_seconds" >= 0),
	CONSTRAINT "alert_rules_trigger_count_nonnegative" CHECK ("alert_rules"."trigger_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"rule_id" uuid,
	"trigger_key" text,
	"title" text NOT NULL,
	"message" text NOT NULL,
	"severity" "alert_severity" DEFAULT 'info' NOT NULL,
	"category" text,
	"symbol" text,
	"order_id" uuid,
	"strategy_id" uuid,
	"is_read" boolean DEFAULT false NOT NULL,
	"is_sent" boolean DEFAULT false NOT NULL,
	"sent_at" timestamp with time zone,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alerts_rule_trigger_unique" UNIQUE("rule_id","trigger_key")
);
--> statement-breakpoint
CREATE TABLE "bot_performance" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"bot_id" uuid NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"equity" numeric(38, 18),
	"total_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"realized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"unrealized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fees_paid" numeric(38, 18) DEFAULT '0' NOT NULL,
	"trade_count" integer DEFAULT 0 NOT NULL,
	"win_rate" numeric(20, 10),
	"max_drawdown" numeric(20, 10),
	"sharpe_ratio" numeric(20, 10),
	"state" jsonb,
	CONSTRAINT "bot_performance_bot_recorded_unique" UNIQUE("bot_id","recorded_at"),
	CONSTRAINT "bot_performance_trade_count_nonnegative" CHECK ("bot_performance"."trade_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "bots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"strategy_id" uuid,
	"name" text NOT NULL,
	"symbol" text NOT NULL,
	"status" "bot_status" DEFAULT 'stopped' NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_error" text,
	"started_at" timestamp with time zone,
	"stopped_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "strategies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"strategy_type" "strategy_type" NOT NULL,
	"description" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_active" boolean DEFAULT false NOT NULL,
	"is_backtest" boolean DEFAULT false NOT NULL,
	"total_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"win_rate" numeric(20, 10),
	"sharpe_ratio" numeric(20, 10),
	"trade_count" integer DEFAULT 0 NOT NULL,
	"performance_metrics" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_signal_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "trading_agents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"agent_type" text NOT NULL,
	"configuration" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" "agent_status" DEFAULT 'inactive' NOT NULL,
	"performance" jsonb,
	"last_decision_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trading_signals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"strategy_id" uuid,
	"agent_id" uuid,
	"symbol" text NOT NULL,
	"action" "signal_action" NOT NULL,
	"strength" numeric(20, 10) NOT NULL,
	"price" numeric(38, 18) NOT NULL,
	"confidence" numeric(20, 10) NOT NULL,
	"reasoning" text,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ai_analyses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"analysis_type" "analysis_type" NOT NULL,
	"symbol" text,
	"timeframe" text,
	"confidence_score" numeric(20, 10) NOT NULL,
	"recommendation" "recommendation" NOT NULL,
	"reasoning" text NOT NULL,
	"details" jsonb,
	"model" text,
	"price_at_analysis" numeric(38, 18),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	CONSTRAINT "ai_analyses_confidence_range" CHECK ("ai_analyses"."confidence_score" >= 0 and "ai_analyses"."confidence_score" <= 1)
);
--> statement-breakpoint
CREATE TABLE "ml_predictions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"model_name" text NOT NULL,
	"model_version" text,
	"symbol" text NOT NULL,
	"predicted_price" numeric(38, 18),
	"predicted_direction" "prediction_direction",
	"confidence" numeric(20, 10),
	"feature_importance" jsonb,
	"predicted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"prediction_horizon_minutes" integer,
	"actual_price" numeric(38, 18),
	"prediction_error" numeric(38, 18),
	"was_correct" boolean,
	"scored_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "event_analyses" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"llm_classification" text,
	"llm_confidence" numeric(20, 10),
	"llm_narrative" text,
	"pattern_matched" text,
	"bias_impact" numeric(20, 10),
	"proposed_action" jsonb,
	"embedding" real[],
	"embedding_model" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "market_bias" (
	"asset" text NOT NULL,
	"timeframe" text NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	"value" numeric(20, 10),
	"components" jsonb,
	"confidence" numeric(20, 10),
	CONSTRAINT "market_bias_pkey" PRIMARY KEY("asset","timeframe","observed_at")
);
--> statement-breakpoint
CREATE TABLE "onchain_events" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"wallet_id" uuid,
	"tx_hash" text NOT NULL,
	"log_index" integer DEFAULT 0 NOT NULL,
	"event_type" text NOT NULL,
	"asset" text,
	"amount" numeric(38, 18),
	"notional_usd" numeric(38, 18),
	"size_fraction" numeric(20, 10),
	"venue" text,
	"gas_price" numeric(38, 18),
	"is_first_since_watch" boolean DEFAULT false NOT NULL,
	"raw_data" jsonb,
	"processed_at" timestamp with time zone DEFAULT now(),
	CONSTRAINT "onchain_events_pkey" PRIMARY KEY("id","occurred_at"),
	CONSTRAINT "onchain_events_tx_unique" UNIQUE("tx_hash","log_index","occurred_at")
);
--> statement-breakpoint
CREATE TABLE "wallet_scores" (
	"wallet_id" uuid NOT NULL,
	"scored_at" timestamp with time zone NOT NULL,
	"credibility_1h" numeric(20, 10),
	"credibility_4h" numeric(20, 10),
	"credibility_24h" numeric(20, 10),
	"equity_usd" numeric(38, 18),
	"trading_volume_24h" numeric(38, 18),
	"win_rate" numeric(20, 10),
	"archetype" text,
	CONSTRAINT "wallet_scores_pkey" PRIMARY KEY("wallet_id","scored_at")
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"address" text NOT NULL,
	"label" text,
	"chain" text DEFAULT 'ethereum' NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_activity_at" timestamp with time zone,
	"is_active" boolean DEFAULT true NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb,
	CONSTRAINT "wallets_chain_address_unique" UNIQUE("chain","address")
);
--> statement-breakpoint
CREATE TABLE "reward_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"token" text DEFAULT 'MIKEY' NOT NULL,
	"amount" numeric(38, 18) NOT NULL,
	"reward_type" text NOT NULL,
	"source_type" text,
	"source_id" text,
	"description" text,
	"tx_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_logs_amount_positive" CHECK ("reward_logs"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "staking_pools" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"token" text DEFAULT 'MIKEY' NOT NULL,
	"apr" numeric(20, 10) NOT NULL,
	"lock_days" integer DEFAULT 0 NOT NULL,
	"min_stake" numeric(38, 18) DEFAULT '0' NOT NULL,
	"max_total_stake" numeric(38, 18),
	"total_staked" numeric(38, 18) DEFAULT '0' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "staking_pools_name_unique" UNIQUE("name"),
	CONSTRAINT "staking_pools_apr_nonnegative" CHECK ("staking_pools"."apr" >= 0),
	CONSTRAINT "staking_pools_lock_days_nonnegative" CHECK ("staking_pools"."lock_days" >= 0),
	CONSTRAINT "staking_pools_total_staked_nonnegative" CHECK ("staking_pools"."total_staked" >= 0),
	CONSTRAINT "staking_pools_capacity" CHECK ("staking_pools"."max_total_stake" is null or "staking_pools"."total_staked" <= "staking_pools"."max_total_stake")
);
--> statement-breakpoint
CREATE TABLE "token_balances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"token" text DEFAULT 'MIKEY' NOT NULL,
	"balance" numeric(38, 18) DEFAULT '0' NOT NULL,
	"locked" numeric(38, 18) DEFAULT '0' NOT NULL,
	"lifetime_rewards" numeric(38, 18) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "token_balances_user_token_unique" UNIQUE("user_id","token"),
	CONSTRAINT "token_balances_balance_nonnegative" CHECK ("token_balances"."balance" >= 0),
	CONSTRAINT "token_balances_locked_nonnegative" CHECK ("token_balances"."locked" >= 0)
);
--> statement-breakpoint
CREATE TABLE "user_stakes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"pool_id" uuid NOT NULL,
	"amount" numeric(38, 18) NOT NULL,
	"status" "stake_status" DEFAULT 'active' NOT NULL,
	"staked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"unlocks_at" timestamp with time zone,
	"unstaked_at" timestamp with time zone,
	"rewards_accrued" numeric(38, 18) DEFAULT '0' NOT NULL,
	"last_reward_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_stakes_amount_positive" CHECK ("user_stakes"."amount" > 0),
	CONSTRAINT "user_stakes_rewards_nonnegative" CHECK ("user_stakes"."rewards_accrued" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"report_type" text DEFAULT '4h' NOT NULL,
	"summary_markdown" text,
	"metrics" jsonb,
	"notable_events" jsonb,
	"delivered_at" timestamp with time zone,
	"push_sent" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reports_user_type_period_unique" UNIQUE("user_id","report_type","period_end")
);
--> statement-breakpoint
CREATE TABLE "api_rate_limits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"api_key_id" uuid,
	"endpoint" text NOT NULL,
	"requests_count" integer DEFAULT 0 NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_duration_seconds" integer NOT NULL,
	"limit_exceeded" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_rate_limits_window_unique" UNIQUE NULLS NOT DISTINCT("user_id","api_key_id","endpoint","window_start"),
	CONSTRAINT "api_rate_limits_requests_nonnegative" CHECK ("api_rate_limits"."requests_count" >= 0),
	CONSTRAINT "api_rate_limits_window_positive" CHECK ("api_rate_limits"."window_duration_seconds" > 0)
);
--> statement-breakpoint
CREATE TABLE "audit_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"trace_id" text NOT NULL,
	"actor_user_id" uuid,
	"actor_type" text NOT NULL,
	"action" text NOT NULL,
	"entity_type" text,
	"entity_id" text,
	"old_value" jsonb,
	"new_value" jsonb,
	"ip_address" "inet",
	"user_agent" text,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exchange_status" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"exchange" text NOT NULL,
	"status" "exchange_health" NOT NULL,
	"last_ping_at" timestamp with time zone,
	"response_time_ms" integer,
	"error_message" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "exchange_status_exchange_unique" UNIQUE("exchange")
);
--> statement-breakpoint
CREATE TABLE "system_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"level" "log_level" NOT NULL,
	"module" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb,
	"user_id" uuid,
	"trace_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conversation_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"conversation_id" uuid NOT NULL,
	"role" text NOT NULL,
	"content" jsonb NOT NULL,
	"external_message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"platform" text NOT NULL,
	"chat_id" text NOT NULL,
	"title" text,
	"summary" text,
	"last_message_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_user_platform_chat_unique" UNIQUE("user_id","platform","chat_id")
);
--> statement-breakpoint
CREATE TABLE "llm_usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"conversation_id" uuid,
	"model" text NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_tokens" integer DEFAULT 0 NOT NULL,
	"cache_write_tokens" integer DEFAULT 0 NOT NULL,
	"cost" numeric(38, 18) DEFAULT '0' NOT NULL,
	"purpose" text,
	"trace_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "llm_usage_tokens_nonnegative" CHECK ("llm_usage"."input_tokens" >= 0 and "llm_usage"."output_tokens" >= 0 and "llm_usage"."cache_read_tokens" >= 0 and "llm_usage"."cache_write_tokens" >= 0),
	CONSTRAINT "llm_usage_cost_nonnegative" CHECK ("llm_usage"."cost" >= 0)
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_identities" ADD CONSTRAINT "chat_identities_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_codes" ADD CONSTRAINT "link_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_preferences" ADD CONSTRAINT "notification_preferences_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_sessions" ADD CONSTRAINT "user_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "balances" ADD CONSTRAINT "balances_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exchange_credentials" ADD CONSTRAINT "exchange_credentials_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exchange_credentials" ADD CONSTRAINT "exchange_credentials_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_snapshots" ADD CONSTRAINT "portfolio_snapshots_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "confirmation_tokens" ADD CONSTRAINT "confirmation_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "confirmation_tokens" ADD CONSTRAINT "confirmation_tokens_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "confirmation_tokens" ADD CONSTRAINT "confirmation_tokens_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_parent_order_id_orders_id_fk" FOREIGN KEY ("parent_order_id") REFERENCES "public"."orders"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_signal_id_trading_signals_id_fk" FOREIGN KEY ("signal_id") REFERENCES "public"."trading_signals"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_portfolio_owner_fk" FOREIGN KEY ("portfolio_id","user_id") REFERENCES "public"."portfolios"("id","user_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_signal_wallet_id_wallets_id_fk" FOREIGN KEY ("signal_wallet_id") REFERENCES "public"."wallets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_portfolio_owner_fk" FOREIGN KEY ("portfolio_id","user_id") REFERENCES "public"."portfolios"("id","user_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_order_portfolio_fk" FOREIGN KEY ("order_id","portfolio_id") REFERENCES "public"."orders"("id","portfolio_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_portfolio_owner_fk" FOREIGN KEY ("portfolio_id","user_id") REFERENCES "public"."portfolios"("id","user_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_alerts" ADD CONSTRAINT "risk_alerts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_alerts" ADD CONSTRAINT "risk_alerts_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_limits" ADD CONSTRAINT "risk_limits_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_limits" ADD CONSTRAINT "risk_limits_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_metrics" ADD CONSTRAINT "risk_metrics_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_metrics" ADD CONSTRAINT "risk_metrics_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_performance" ADD CONSTRAINT "bot_performance_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bots" ADD CONSTRAINT "bots_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bots" ADD CONSTRAINT "bots_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bots" ADD CONSTRAINT "bots_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "strategies" ADD CONSTRAINT "strategies_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_agents" ADD CONSTRAINT "trading_agents_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_signals" ADD CONSTRAINT "trading_signals_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_signals" ADD CONSTRAINT "trading_signals_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_signals" ADD CONSTRAINT "trading_signals_agent_id_trading_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."trading_agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_analyses" ADD CONSTRAINT "ai_analyses_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "onchain_events" ADD CONSTRAINT "onchain_events_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallet_scores" ADD CONSTRAINT "wallet_scores_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_logs" ADD CONSTRAINT "reward_logs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "token_balances" ADD CONSTRAINT "token_balances_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_stakes" ADD CONSTRAINT "user_stakes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_stakes" ADD CONSTRAINT "user_stakes_pool_id_staking_pools_id_fk" FOREIGN KEY ("pool_id") REFERENCES "public"."staking_pools"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_rate_limits" ADD CONSTRAINT "api_rate_limits_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_rate_limits" ADD CONSTRAINT "api_rate_limits_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_logs" ADD CONSTRAINT "system_logs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD CONSTRAINT "conversation_messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_usage" ADD CONSTRAINT "llm_usage_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_usage" ADD CONSTRAINT "llm_usage_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_user_idx" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_api_keys_key_prefix" ON "api_keys" USING btree ("key_prefix");--> statement-breakpoint
CREATE INDEX "chat_identities_user_idx" ON "chat_identities" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "link_codes_user_idx" ON "link_codes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "user_sessions_user_idx" ON "user_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_users_username" ON "users" USING btree ("username");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_users_email" ON "users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "users_wallet_address_unique" ON "users" USING btree ("wallet_address");--> statement-breakpoint
CREATE INDEX "exchange_credentials_user_idx" ON "exchange_credentials" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "exchange_credentials_portfolio_idx" ON "exchange_credentials" USING btree ("portfolio_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_portfolio_asset_id_idx" ON "ledger_entries" USING btree ("portfolio_id","asset","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_ref_idx" ON "ledger_entries" USING btree ("ref_type","ref_id");--> statement-breakpoint
CREATE INDEX "idx_portfolio_user" ON "portfolios" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "portfolios_user_exchange_account_unique" ON "portfolios" USING btree ("user_id","exchange","external_account_id") WHERE "portfolios"."external_account_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "portfolios_one_default_per_user" ON "portfolios" USING btree ("user_id") WHERE "portfolios"."is_default";--> statement-breakpoint
CREATE INDEX "idx_market_data_symbol_time" ON "candles" USING btree ("symbol","timeframe","open_time" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_price_exchange_time" ON "candles" USING btree ("exchange","open_time");--> statement-breakpoint
CREATE INDEX "markets_symbol_idx" ON "markets" USING btree ("symbol");--> statement-breakpoint
CREATE INDEX "order_book_snapshots_symbol_time_idx" ON "order_book_snapshots" USING btree ("symbol","exchange","captured_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "price_ticks_symbol_time_idx" ON "price_ticks" USING btree ("symbol","publish_time" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "confirmation_tokens_user_idx" ON "confirmation_tokens" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "idx_orders_client_id" ON "orders" USING btree ("client_order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_orders_exchange_id" ON "orders" USING btree ("exchange_order_id");--> statement-breakpoint
CREATE INDEX "idx_orders_user_status" ON "orders" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "idx_orders_symbol_created" ON "orders" USING btree ("symbol","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_orders_status" ON "orders" USING btree ("status","order_type");--> statement-breakpoint
CREATE INDEX "idx_order_portfolio" ON "orders" USING btree ("portfolio_id","status");--> statement-breakpoint
CREATE INDEX "idx_order_created" ON "orders" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "orders_parent_idx" ON "orders" USING btree ("parent_order_id") WHERE "orders"."parent_order_id" is not null;--> statement-breakpoint
CREATE INDEX "orders_position_idx" ON "orders" USING btree ("position_id") WHERE "orders"."position_id" is not null;--> statement-breakpoint
CREATE INDEX "orders_strategy_idx" ON "orders" USING btree ("strategy_id") WHERE "orders"."strategy_id" is not null;--> statement-breakpoint
CREATE INDEX "orders_signal_idx" ON "orders" USING btree ("signal_id") WHERE "orders"."signal_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "positions_open_portfolio_symbol_unique" ON "positions" USING btree ("portfolio_id","symbol") WHERE "positions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "idx_position_portfolio" ON "positions" USING btree ("portfolio_id","opened_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_position_symbol" ON "positions" USING btree ("symbol");--> statement-breakpoint
CREATE INDEX "idx_positions_user_symbol" ON "positions" USING btree ("user_id","symbol");--> statement-breakpoint
CREATE INDEX "idx_positions_open" ON "positions" USING btree ("symbol") WHERE "positions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "idx_positions_closed" ON "positions" USING btree ("closed_at") WHERE "positions"."closed_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "idx_trades_exchange_id" ON "trades" USING btree ("exchange_trade_id");--> statement-breakpoint
CREATE INDEX "idx_trade_portfolio" ON "trades" USING btree ("portfolio_id","executed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_trade_symbol" ON "trades" USING btree ("symbol");--> statement-breakpoint
CREATE INDEX "idx_trade_executed" ON "trades" USING btree ("executed_at");--> statement-breakpoint
CREATE INDEX "idx_trades_user_executed" ON "trades" USING btree ("user_id","executed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "trades_order_idx" ON "trades" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "risk_alerts_user_time_idx" ON "risk_alerts" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "risk_alerts_portfolio_idx" ON "risk_alerts" USING btree ("portfolio_id");--> statement-breakpoint
CREATE INDEX "risk_limits_user_idx" ON "risk_limits" USING btree ("user_id","is_active");--> statement-breakpoint
CREATE INDEX "risk_limits_portfolio_idx" ON "risk_limits" USING btree ("portfolio_id") WHERE "risk_limits"."portfolio_id" is not null;--> statement-breakpoint
CREATE INDEX "risk_metrics_portfolio_time_idx" ON "risk_metrics" USING btree ("portfolio_id","calculated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "risk_metrics_user_time_idx" ON "risk_metrics" USING btree ("user_id","calculated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "alert_rules_user_idx" ON "alert_rules" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "alert_rules_active_idx" ON "alert_rules" USING btree ("symbol") WHERE "alert_rules"."status" = 'active';--> statement-breakpoint
CREATE INDEX "idx_alert_user_created" ON "alerts" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "idx_alert_severity" ON "alerts" USING btree ("severity");--> statement-breakpoint
CREATE INDEX "alerts_unsent_idx" ON "alerts" USING btree ("created_at") WHERE not "alerts"."is_sent";--> statement-breakpoint
CREATE INDEX "bots_user_idx" ON "bots" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "bots_portfolio_idx" ON "bots" USING btree ("portfolio_id");--> statement-breakpoint
CREATE INDEX "bots_status_idx" ON "bots" USING btree ("status");--> statement-breakpoint
CREATE INDEX "idx_strategy_user" ON "strategies" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_strategy_type" ON "strategies" USING btree ("strategy_type");--> statement-breakpoint
CREATE INDEX "trading_agents_user_idx" ON "trading_agents" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_signals_created" ON "trading_signals" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "trading_signals_strategy_idx" ON "trading_signals" USING btree ("strategy_id") WHERE "trading_signals"."strategy_id" is not null;--> statement-breakpoint
CREATE INDEX "trading_signals_agent_idx" ON "trading_signals" USING btree ("agent_id") WHERE "trading_signals"."agent_id" is not null;--> statement-breakpoint
CREATE INDEX "trading_signals_user_idx" ON "trading_signals" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "ai_analyses_symbol_time_idx" ON "ai_analyses" USING btree ("symbol","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "ai_analyses_user_time_idx" ON "ai_analyses" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_prediction_symbol_time" ON "ml_predictions" USING btree ("symbol","predicted_at");--> statement-breakpoint
CREATE INDEX "idx_prediction_model" ON "ml_predictions" USING btree ("model_name");--> statement-breakpoint
CREATE INDEX "ml_predictions_unscored_idx" ON "ml_predictions" USING btree ("predicted_at") WHERE "ml_predictions"."scored_at" is null;--> statement-breakpoint
CREATE INDEX "idx_bias_asset" ON "market_bias" USING btree ("asset","observed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_onchain_events_wallet" ON "onchain_events" USING btree ("wallet_id","occurred_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_onchain_events_type" ON "onchain_events" USING btree ("event_type","occurred_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_wallets_address" ON "wallets" USING btree ("address");--> statement-breakpoint
CREATE INDEX "idx_wallets_active" ON "wallets" USING btree ("is_active");--> statement-breakpoint
CREATE INDEX "reward_logs_user_time_idx" ON "reward_logs" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reward_logs_source_idx" ON "reward_logs" USING btree ("source_type","source_id");--> statement-breakpoint
CREATE INDEX "user_stakes_user_idx" ON "user_stakes" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "user_stakes_pool_idx" ON "user_stakes" USING btree ("pool_id","status");--> statement-breakpoint
CREATE INDEX "idx_reports_period" ON "reports" USING btree ("period_end" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reports_user_period_idx" ON "reports" USING btree ("user_id","period_end" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "api_rate_limits_window_start_idx" ON "api_rate_limits" USING btree ("window_start");--> statement-breakpoint
CREATE INDEX "audit_logs_entity_idx" ON "audit_logs" USING btree ("entity_type","entity_id","created_at");--> statement-breakpoint
CREATE INDEX "idx_audit_trace" ON "audit_logs" USING btree ("trace_id");--> statement-breakpoint
CREATE INDEX "idx_audit_timestamp" ON "audit_logs" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_logs_actor_idx" ON "audit_logs" USING btree ("actor_user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_logs_level_created" ON "system_logs" USING btree ("level","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversation_messages_conversation_idx" ON "conversation_messages" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "llm_usage_user_time_idx" ON "llm_usage" USING btree ("user_id","created_at" DESC NULLS LAST);