CREATE TABLE "oauth_pending_sign_ins" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"params" jsonb NOT NULL,
	"offered" text[] NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"sends" integer DEFAULT 0 NOT NULL,
	"user_id" uuid,
	"username" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "oauth_pending_sign_ins" ADD CONSTRAINT "oauth_pending_sign_ins_client_id_oauth_clients_client_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."oauth_clients"("client_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_pending_sign_ins" ADD CONSTRAINT "oauth_pending_sign_ins_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "oauth_pending_sign_ins_expires_idx" ON "oauth_pending_sign_ins" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "oauth_pending_sign_ins_user_idx" ON "oauth_pending_sign_ins" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "oauth_pending_sign_ins" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "oauth_pending_sign_ins" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "oauth_pending_sign_ins_owner" ON "oauth_pending_sign_ins" USING (mikey_row_visible("user_id")) WITH CHECK (mikey_row_visible("user_id"));
