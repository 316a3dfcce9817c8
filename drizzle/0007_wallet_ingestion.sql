CREATE TABLE "ingestion_cursors" (
	"source" text PRIMARY KEY NOT NULL,
	"position" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wallet_watches" (
	"user_id" uuid NOT NULL,
	"wallet_id" uuid NOT NULL,
	"label" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "wallet_watches_pkey" PRIMARY KEY("user_id","wallet_id")
);
--> statement-breakpoint
ALTER TABLE "onchain_events" DROP CONSTRAINT "onchain_events_tx_unique";--> statement-breakpoint
ALTER TABLE "onchain_events" ADD COLUMN "chain" text DEFAULT 'ethereum' NOT NULL;--> statement-breakpoint
ALTER TABLE "onchain_events" ADD COLUMN "block_number" integer;--> statement-breakpoint
ALTER TABLE "onchain_events" ADD COLUMN "block_hash" text;--> statement-breakpoint
ALTER TABLE "onchain_events" ADD COLUMN "retracted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "wallet_watches" ADD CONSTRAINT "wallet_watches_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallet_watches" ADD CONSTRAINT "wallet_watches_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "wallet_watches_wallet_idx" ON "wallet_watches" USING btree ("wallet_id");--> statement-breakpoint
ALTER TABLE "onchain_events" ADD CONSTRAINT "onchain_events_chain_tx_unique" UNIQUE("chain","tx_hash","log_index","occurred_at");