CREATE TYPE "public"."video_status" AS ENUM('awaiting_upload', 'uploaded', 'queued', 'processing', 'ready', 'failed');--> statement-breakpoint
CREATE TABLE "videos" (
	"id" uuid PRIMARY KEY NOT NULL,
	"course_id" uuid NOT NULL,
	"lesson_id" uuid,
	"uploader_id" uuid NOT NULL,
	"status" "video_status" DEFAULT 'awaiting_upload' NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"source_key" text NOT NULL,
	"upload_id" text,
	"job_id" uuid,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_expires_at" timestamp with time zone,
	"progress_percent" real DEFAULT 0 NOT NULL,
	"output_prefix" text,
	"master_key" text,
	"poster_key" text,
	"storyboard_image_key" text,
	"storyboard_vtt_key" text,
	"duration_seconds" real,
	"width" integer,
	"height" integer,
	"renditions" jsonb,
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "videos" ADD CONSTRAINT "videos_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "videos" ADD CONSTRAINT "videos_lesson_id_lessons_id_fk" FOREIGN KEY ("lesson_id") REFERENCES "public"."lessons"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "videos" ADD CONSTRAINT "videos_uploader_id_users_id_fk" FOREIGN KEY ("uploader_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "videos_course_idx" ON "videos" USING btree ("course_id");--> statement-breakpoint
CREATE INDEX "videos_lease_idx" ON "videos" USING btree ("lease_expires_at") WHERE "videos"."status" in ('queued', 'processing');