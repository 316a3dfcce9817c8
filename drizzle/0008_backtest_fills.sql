CREATE TABLE "backtest_fills" (
	"strategy_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"filled_at" timestamp with time zone NOT NULL,
	"side" text NOT NULL,
	"order_type" text NOT NULL,
	"price" numeric(38, 18) NOT NULL,
	"quantity" numeric(38, 18) NOT NULL,
	"fee" numeric(38, 18) NOT NULL,
	"tag" text,
	CONSTRAINT "backtest_fills_pkey" PRIMARY KEY("strategy_id","seq"),
	CONSTRAINT "backtest_fills_side" CHECK ("backtest_fills"."side" in ('buy', 'sell')),
	CONSTRAINT "backtest_fills_quantity_positive" CHECK ("backtest_fills"."quantity" > 0)
);
--> statement-breakpoint
ALTER TABLE "backtest_fills" ADD CONSTRAINT "backtest_fills_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE cascade ON UPDATE no action;