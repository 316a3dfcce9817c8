CREATE TABLE "community_members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"platform" text NOT NULL,
	"community_id" text NOT NULL,
	"user_id" uuid NOT NULL,
	"include_live" boolean DEFAULT false NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "community_members_unique" UNIQUE("platform","community_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "competition_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"competition_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"final_value" numeric(38, 18),
	"return_percent" numeric(20, 10),
	"rank" integer,
	"prize" numeric(38, 18),
	CONSTRAINT "competition_entries_user_unique" UNIQUE("competition_id","user_id"),
	CONSTRAINT "competition_entries_portfolio_unique" UNIQUE("portfolio_id")
);
--> statement-breakpoint
CREATE TABLE "competitions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"platform" text NOT NULL,
	"community_id" text NOT NULL,
	"announce_chat_id" text NOT NULL,
	"name" text NOT NULL,
	"created_by" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"starting_cash" numeric(38, 18) NOT NULL,
	"quote_asset" text DEFAULT 'USDT' NOT NULL,
	"markets" text[] DEFAULT '{}'::text[] NOT NULL,
	"prize_pool" numeric(38, 18) DEFAULT '0' NOT NULL,
	"prize_split" numeric(20, 10)[] DEFAULT '{1}'::numeric[] NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"start_pushed_at" timestamp with time zone,
	"standings_pushed_on" text,
	"finished_at" timestamp with time zone,
	"end_pushed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "competitions_community_name_unique" UNIQUE("platform","community_id","name"),
	CONSTRAINT "competitions_window" CHECK ("competitions"."ends_at" > "competitions"."starts_at"),
	CONSTRAINT "competitions_starting_cash_positive" CHECK ("competitions"."starting_cash" > 0),
	CONSTRAINT "competitions_prize_nonnegative" CHECK ("competitions"."prize_pool" >= 0),
	CONSTRAINT "competitions_status_known" CHECK ("competitions"."status" in ('scheduled', 'running', 'finished', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "community_members" ADD CONSTRAINT "community_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "competition_entries" ADD CONSTRAINT "competition_entries_competition_id_competitions_id_fk" FOREIGN KEY ("competition_id") REFERENCES "public"."competitions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "competition_entries" ADD CONSTRAINT "competition_entries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "competition_entries" ADD CONSTRAINT "competition_entries_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "competitions" ADD CONSTRAINT "competitions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "community_members_user_idx" ON "community_members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "competition_entries_user_idx" ON "competition_entries" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "competitions_status_idx" ON "competitions" USING btree ("status","ends_at");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_system_trigger_unique" ON "alerts" USING btree ("user_id","trigger_key") WHERE "alerts"."rule_id" is null and "alerts"."trigger_key" is not null;