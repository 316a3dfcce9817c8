ALTER TYPE "public"."strategy_type" ADD VALUE 'prediction_following';--> statement-breakpoint
CREATE TABLE "token_ledger" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token" text NOT NULL,
	"transfer_id" uuid NOT NULL,
	"user_id" uuid,
	"account" text NOT NULL,
	"amount" numeric(38, 18) NOT NULL,
	"entry_type" text NOT NULL,
	"ref_type" text,
	"ref_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "token_ledger_account" CHECK ("token_ledger"."account" in ('balance', 'locked', 'claimable', 'treasury')),
	CONSTRAINT "token_ledger_treasury_has_no_user" CHECK (("token_ledger"."account" = 'treasury') = ("token_ledger"."user_id" is null))
);
--> statement-breakpoint
CREATE TABLE "token_treasury" (
	"token" text PRIMARY KEY NOT NULL,
	"total_supply" numeric(38, 18) DEFAULT '0' NOT NULL,
	"treasury" numeric(38, 18) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "token_treasury_supply_nonnegative" CHECK ("token_treasury"."total_supply" >= 0),
	CONSTRAINT "token_treasury_treasury_nonnegative" CHECK ("token_treasury"."treasury" >= 0)
);
--> statement-breakpoint
ALTER TABLE "reward_logs" ALTER COLUMN "token" SET DEFAULT 'OMNI';--> statement-breakpoint
ALTER TABLE "staking_pools" ALTER COLUMN "token" SET DEFAULT 'OMNI';--> statement-breakpoint
ALTER TABLE "token_balances" ALTER COLUMN "token" SET DEFAULT 'OMNI';--> statement-breakpoint
ALTER TABLE "reward_logs" ADD COLUMN "rule" text;--> statement-breakpoint
ALTER TABLE "reward_logs" ADD COLUMN "period" text;--> statement-breakpoint
ALTER TABLE "staking_pools" ADD COLUMN "early_unstake_penalty" numeric(20, 10);--> statement-breakpoint
ALTER TABLE "token_balances" ADD COLUMN "claimable" numeric(38, 18) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "token_ledger" ADD CONSTRAINT "token_ledger_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "token_ledger_user_time_idx" ON "token_ledger" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "token_ledger_transfer_idx" ON "token_ledger" USING btree ("transfer_id");--> statement-breakpoint
ALTER TABLE "reward_logs" ADD CONSTRAINT "reward_logs_rule_user_period_key" UNIQUE("rule","user_id","period");--> statement-breakpoint
ALTER TABLE "staking_pools" ADD CONSTRAINT "staking_pools_penalty_range" CHECK ("staking_pools"."early_unstake_penalty" is null or ("staking_pools"."early_unstake_penalty" >= 0 and "staking_pools"."early_unstake_penalty" <= 1));--> statement-breakpoint
ALTER TABLE "token_balances" ADD CONSTRAINT "token_balances_claimable_nonnegative" CHECK ("token_balances"."claimable" >= 0);