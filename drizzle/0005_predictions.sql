CREATE TABLE "ml_models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"symbol" text NOT NULL,
	"exchange" text NOT NULL,
	"timeframe" text NOT NULL,
	"horizon_bars" integer NOT NULL,
	"horizon_minutes" integer NOT NULL,
	"definition" text NOT NULL,
	"feature_names" jsonb NOT NULL,
	"trained_from" timestamp with time zone NOT NULL,
	"trained_to" timestamp with time zone NOT NULL,
	"samples" integer NOT NULL,
	"evaluation" jsonb NOT NULL,
	"simulated" boolean NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ml_models_version_key" UNIQUE("name","symbol","timeframe","horizon_bars","version")
);
--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "model_id" uuid;--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "timeframe" text;--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "bar_time" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "reference_price" numeric(38, 18);--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "probability_up" numeric(20, 10);--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD COLUMN "simulated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "ml_models" ADD CONSTRAINT "ml_models_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ml_models_one_active_idx" ON "ml_models" USING btree ("name","symbol","timeframe","horizon_bars") WHERE "ml_models"."is_active";--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD CONSTRAINT "ml_predictions_model_id_ml_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."ml_models"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ml_predictions_due_idx" ON "ml_predictions" USING btree ("due_at") WHERE "ml_predictions"."scored_at" is null;--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD CONSTRAINT "ml_predictions_bar_key" UNIQUE("model_name","symbol","prediction_horizon_minutes","bar_time");--> statement-breakpoint
ALTER TABLE "ml_predictions" ADD CONSTRAINT "ml_predictions_confidence_range" CHECK ("ml_predictions"."confidence" is null or ("ml_predictions"."confidence" >= 0 and "ml_predictions"."confidence" <= 1));