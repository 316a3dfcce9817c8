CREATE TABLE "community_wallets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"platform" text NOT NULL,
	"community_id" text NOT NULL,
	"wallet_id" uuid NOT NULL,
	"shared_by" uuid NOT NULL,
	"label" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"shared_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "community_wallets_wallet_unique" UNIQUE("platform","community_id","wallet_id")
);
--> statement-breakpoint
ALTER TABLE "community_wallets" ADD CONSTRAINT "community_wallets_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_wallets" ADD CONSTRAINT "community_wallets_shared_by_users_id_fk" FOREIGN KEY ("shared_by") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "community_wallets_shared_by_idx" ON "community_wallets" USING btree ("shared_by");