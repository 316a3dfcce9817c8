-- Row-level security (issue 15 §3): every user-owned table carries a policy keyed by the acting user
-- of the transaction, so a query that forgets its user_id filter still cannot read or write another
-- user's rows. src/db/rls.ts's withActingUser opens such a transaction: it sets `mikey.user_id` for
-- the transaction only and, when the connection would bypass RLS (a superuser, as `postgres` on
-- PGlite and in CI), switches to the unprivileged role mikey_acting_user for the transaction only.
--
-- Without an acting user (the setting unset or empty: system jobs, migrations, sweeps) every row is
-- visible, so nothing outside a scope changes. Under an acting user a row whose owner is NULL (the
-- token treasury's ledger rows, system alerts and logs) is not visible: no user-facing read treats
-- such rows as shared. Tables reached only through a parent (balances through their portfolio,
-- conversation messages through their conversation) follow the parent's owner.
--
-- Not covered, on purpose: shared and system tables (markets, candles, wallets, competitions, whose
-- created_by is not an owner, audit_logs, cluster leases). A new table with a user_id column adds:
--   ALTER TABLE "t" ENABLE ROW LEVEL SECURITY; ALTER TABLE "t" FORCE ROW LEVEL SECURITY;
--   CREATE POLICY "t_owner" ON "t" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));
-- (test/db/rls.db.test.ts fails for a user_id table without it).
--
-- mikey_row_visible is a plain SQL expression so the planner inlines it into each policy; the CASE
-- keeps an empty setting from ever being cast to uuid.
CREATE OR REPLACE FUNCTION mikey_row_visible(owner uuid) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
		SELECT CASE
			WHEN coalesce(current_setting('mikey.user_id', true), '') = '' THEN true
			ELSE coalesce(owner = current_setting('mikey.user_id', true)::uuid, false)
		END
	$$;
--> statement-breakpoint
-- Roles are per cluster: another database of the same cluster (CI runs two, tests clone many) may
-- have created it already, or be creating it right now. A login without CREATEROLE cannot create
-- it; such a login is not a superuser, so RLS (forced on the owner) applies to it directly and
-- withActingUser does not switch role.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mikey_acting_user') THEN
		BEGIN
			CREATE ROLE mikey_acting_user NOLOGIN;
		EXCEPTION
			WHEN duplicate_object OR unique_violation THEN NULL;
			WHEN insufficient_privilege THEN
				RAISE NOTICE 'mikey: cannot create role mikey_acting_user (no CREATEROLE); row-level security applies to this login directly';
		END;
	END IF;
END
$$;
--> statement-breakpoint
-- Tables with their own user_id column.
ALTER TABLE "ai_analyses" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_analyses" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "ai_analyses_owner" ON "ai_analyses" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "alert_rules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "alert_rules" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "alert_rules_owner" ON "alert_rules" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "alerts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "alerts" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "alerts_owner" ON "alerts" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "api_keys" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "api_keys_owner" ON "api_keys" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "api_rate_limits" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "api_rate_limits" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "api_rate_limits_owner" ON "api_rate_limits" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "bots" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "bots" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "bots_owner" ON "bots" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "chat_identities" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "chat_identities" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "chat_identities_owner" ON "chat_identities" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "community_members" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "community_members" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "community_members_owner" ON "community_members" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "competition_entries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "competition_entries" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "competition_entries_owner" ON "competition_entries" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "confirmation_tokens" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "confirmation_tokens" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "confirmation_tokens_owner" ON "confirmation_tokens" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "conversations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversations" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "conversations_owner" ON "conversations" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "exchange_credentials" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "exchange_credentials" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "exchange_credentials_owner" ON "exchange_credentials" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "link_codes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "link_codes" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "link_codes_owner" ON "link_codes" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "llm_usage" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "llm_usage" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "llm_usage_owner" ON "llm_usage" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "notification_preferences" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "notification_preferences" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "notification_preferences_owner" ON "notification_preferences" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "orders" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "orders" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "orders_owner" ON "orders" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "portfolios" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "portfolios" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "portfolios_owner" ON "portfolios" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "positions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "positions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "positions_owner" ON "positions" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "reports" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "reports" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "reports_owner" ON "reports" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "reward_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "reward_logs" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "reward_logs_owner" ON "reward_logs" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "risk_alerts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "risk_alerts" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "risk_alerts_owner" ON "risk_alerts" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "risk_limits" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "risk_limits" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "risk_limits_owner" ON "risk_limits" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "risk_metrics" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "risk_metrics" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "risk_metrics_owner" ON "risk_metrics" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "strategies" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "strategies" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "strategies_owner" ON "strategies" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "system_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "system_logs" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "system_logs_owner" ON "system_logs" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "token_balances" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "token_balances" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "token_balances_owner" ON "token_balances" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "token_ledger" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "token_ledger" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "token_ledger_owner" ON "token_ledger" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "trades" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "trades" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "trades_owner" ON "trades" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "trading_agents" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "trading_agents" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "trading_agents_owner" ON "trading_agents" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "trading_signals" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "trading_signals" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "trading_signals_owner" ON "trading_signals" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "user_sessions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "user_sessions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "user_sessions_owner" ON "user_sessions" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "user_stakes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "user_stakes" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "user_stakes_owner" ON "user_stakes" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
ALTER TABLE "wallet_watches" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "wallet_watches" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "wallet_watches_owner" ON "wallet_watches" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));--> statement-breakpoint
-- The users row itself: an acting user sees only their own.
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "users_owner" ON "users" USING (mikey_row_visible("id")) WITH CHECK (mikey_row_visible("id"));--> statement-breakpoint
-- Tables owned through their parent row (the parent's own policy applies inside the subquery too);
-- without an acting user the subquery is skipped.
ALTER TABLE "balances" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "balances" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "balances_owner" ON "balances" USING (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "portfolios" o WHERE o."id" = "balances"."portfolio_id" AND mikey_row_visible(o."user_id"))) WITH CHECK (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "portfolios" o WHERE o."id" = "balances"."portfolio_id" AND mikey_row_visible(o."user_id")));--> statement-breakpoint
ALTER TABLE "ledger_entries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ledger_entries" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "ledger_entries_owner" ON "ledger_entries" USING (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "portfolios" o WHERE o."id" = "ledger_entries"."portfolio_id" AND mikey_row_visible(o."user_id"))) WITH CHECK (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "portfolios" o WHERE o."id" = "ledger_entries"."portfolio_id" AND mikey_row_visible(o."user_id")));--> statement-breakpoint
ALTER TABLE "portfolio_snapshots" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "portfolio_snapshots" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "portfolio_snapshots_owner" ON "portfolio_snapshots" USING (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "portfolios" o WHERE o."id" = "portfolio_snapshots"."portfolio_id" AND mikey_row_visible(o."user_id"))) WITH CHECK (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "portfolios" o WHERE o."id" = "portfolio_snapshots"."portfolio_id" AND mikey_row_visible(o."user_id")));--> statement-breakpoint
ALTER TABLE "conversation_messages" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversation_messages" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "conversation_messages_owner" ON "conversation_messages" USING (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "conversations" o WHERE o."id" = "conversation_messages"."conversation_id" AND mikey_row_visible(o."user_id"))) WITH CHECK (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "conversations" o WHERE o."id" = "conversation_messages"."conversation_id" AND mikey_row_visible(o."user_id")));--> statement-breakpoint
ALTER TABLE "bot_performance" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "bot_performance" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "bot_performance_owner" ON "bot_performance" USING (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "bots" o WHERE o."id" = "bot_performance"."bot_id" AND mikey_row_visible(o."user_id"))) WITH CHECK (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "bots" o WHERE o."id" = "bot_performance"."bot_id" AND mikey_row_visible(o."user_id")));--> statement-breakpoint
ALTER TABLE "backtest_fills" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "backtest_fills" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "backtest_fills_owner" ON "backtest_fills" USING (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "strategies" o WHERE o."id" = "backtest_fills"."strategy_id" AND mikey_row_visible(o."user_id"))) WITH CHECK (coalesce(current_setting('mikey.user_id', true), '') = '' OR EXISTS (SELECT 1 FROM "strategies" o WHERE o."id" = "backtest_fills"."strategy_id" AND mikey_row_visible(o."user_id")));--> statement-breakpoint
-- The two views read positions and portfolios with the querying role's rights (PostgreSQL 15+), so
-- the policies apply through them; by default a view reads with its owner's, which bypasses RLS.
ALTER VIEW "active_positions_view" SET (security_invoker = true);--> statement-breakpoint
ALTER VIEW "daily_performance" SET (security_invoker = true);--> statement-breakpoint
-- What the acting role may touch: every table of the schema, now and (default privileges of the
-- migrating login) those of later migrations; the policies then decide which rows.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mikey_acting_user') THEN
		GRANT USAGE ON SCHEMA public TO mikey_acting_user;
		GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO mikey_acting_user;
		GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO mikey_acting_user;
		ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mikey_acting_user;
		ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO mikey_acting_user;
	END IF;
END
$$;
