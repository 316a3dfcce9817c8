CREATE TABLE "claimed_updates" (
	"source" text NOT NULL,
	"update_id" bigint NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claimed_updates_source_update_id_pk" PRIMARY KEY("source","update_id")
);
--> statement-breakpoint
CREATE TABLE "cluster_leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"token" bigint DEFAULT 1 NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
