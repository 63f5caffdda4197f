CREATE TABLE "refused_messages" (
	"queue" text NOT NULL,
	"message_id" text NOT NULL,
	"attempts" integer NOT NULL,
	"reason" text NOT NULL,
	"body" jsonb NOT NULL,
	"refused_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refused_messages_queue_message_id_pk" PRIMARY KEY("queue","message_id")
);
--> statement-breakpoint
ALTER TABLE "lessons" ADD COLUMN "origin_jurisdiction" text;--> statement-breakpoint
ALTER TABLE "videos" ADD COLUMN "origin_jurisdiction" text;--> statement-breakpoint
-- Lessons and videos so far came with their course: they share its origin.
UPDATE "lessons" SET "origin_jurisdiction" = "courses"."origin_jurisdiction" FROM "courses" WHERE "courses"."id" = "lessons"."course_id";--> statement-breakpoint
UPDATE "videos" SET "origin_jurisdiction" = "courses"."origin_jurisdiction" FROM "courses" WHERE "courses"."id" = "videos"."course_id";--> statement-breakpoint
ALTER TABLE "lessons" ALTER COLUMN "origin_jurisdiction" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "videos" ALTER COLUMN "origin_jurisdiction" SET NOT NULL;--> statement-breakpoint
-- Before the foreign key: a lesson keeps only a video that exists and was uploaded for its own course.
UPDATE "lessons" SET "video_id" = NULL WHERE "video_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "videos" WHERE "videos"."id" = "lessons"."video_id" AND "videos"."course_id" = "lessons"."course_id");--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_video_id_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."videos"("id") ON DELETE set null ON UPDATE no action;
