-- Seed 004's views, rewritten over the unified tables as plain SQL views (valid on PostgreSQL 15+,
-- PGlite, and with or without TimescaleDB). src/db/schema/views.ts holds their typed column lists.
--
-- active_positions_view: seed 004 selected positions with closed_at IS NULL, the signal wallet's
-- address and `w.credibility_4h` (a column wallets never had: credibility lives in wallet_scores, so
-- the latest score is taken), and the latest bias of the position's asset. Positions now carry a
-- canonical symbol (BTC/USDT, SOL-PERP, BTC/USDT:USDT), so the bias is looked up by its base asset.
-- trading_mode comes from the position's portfolio.
CREATE VIEW "active_positions_view" AS
SELECT
	p.*,
	pf.trading_mode,
	w.address AS signal_wallet,
	ws.credibility_4h AS wallet_credibility,
	(
		SELECT mb.value
		FROM market_bias mb
		WHERE mb.asset = split_part(split_part(p.symbol, '/', 1), '-', 1)
		ORDER BY mb.observed_at DESC
		LIMIT 1
	) AS current_bias
FROM positions p
JOIN portfolios pf ON pf.id = p.portfolio_id
LEFT JOIN wallets w ON w.id = p.signal_wallet_id
LEFT JOIN LATERAL (
	SELECT s.credibility_4h
	FROM wallet_scores s
	WHERE s.wallet_id = w.id
	ORDER BY s.scored_at DESC
	LIMIT 1
) ws ON true
WHERE p.status = 'open';
--> statement-breakpoint
-- daily_performance: seed 004's TimescaleDB continuous aggregate (time_bucket('1 day', closed_at),
-- grouped by trading_mode) as a plain view over closed and liquidated positions: date_trunc to the
-- UTC day replaces time_bucket, COUNT(*) replaces the seed's COUNT(), and rows are also grouped by
-- user and portfolio because MIKEY serves many users (sum over them for the seed's global numbers).
-- holding_time is stored as holding_seconds; when missing, closed_at - opened_at is used.
CREATE VIEW "daily_performance" AS
SELECT
	(p.closed_at AT TIME ZONE 'UTC')::date AS date,
	pf.trading_mode,
	p.user_id,
	p.portfolio_id,
	count(*) AS total_trades,
	sum(CASE WHEN p.realized_pnl > 0 THEN 1 ELSE 0 END)::double precision / NULLIF(count(*), 0) AS win_rate,
	sum(p.realized_pnl) AS total_pnl,
	avg(p.realized_pnl) AS avg_pnl,
	max(p.realized_pnl) AS best_trade,
	min(p.realized_pnl) AS worst_trade,
	avg(COALESCE(make_interval(secs => p.holding_seconds), p.closed_at - p.opened_at)) AS avg_holding_time
FROM positions p
JOIN portfolios pf ON pf.id = p.portfolio_id
WHERE p.closed_at IS NOT NULL
GROUP BY 1, 2, 3, 4;
