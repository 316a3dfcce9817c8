ALTER TABLE "exchange_credentials" ADD COLUMN "sandbox" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "exchange_credentials" ADD COLUMN "account_type" "account_type" DEFAULT 'spot' NOT NULL;--> statement-breakpoint
ALTER TABLE "exchange_credentials" ADD COLUMN "last_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "exchange_credentials" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "portfolios" ADD COLUMN "shadow_of" uuid;--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_shadow_of_fk" FOREIGN KEY ("shadow_of") REFERENCES "public"."portfolios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "portfolios_one_shadow_each" ON "portfolios" USING btree ("shadow_of") WHERE "portfolios"."shadow_of" is not null;