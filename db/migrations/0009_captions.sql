CREATE TABLE "caption_cues" (
	"track_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"start_ms" integer NOT NULL,
	"end_ms" integer NOT NULL,
	"text" text NOT NULL,
	"search" "tsvector" NOT NULL,
	CONSTRAINT "caption_cues_track_id_position_pk" PRIMARY KEY("track_id","position")
);
--> statement-breakpoint
CREATE TABLE "caption_tracks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"video_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"origin_jurisdiction" text NOT NULL,
	"language" text NOT NULL,
	"label" text NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"storage_key" text NOT NULL,
	"cue_count" integer NOT NULL,
	"source" text DEFAULT 'uploaded' NOT NULL,
	"search" "tsvector" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "courses" drop column "search";--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector(case when language = 'ar' then 'arabic'::regconfig else 'english'::regconfig end, kce_search_normalize(title)), 'A') || setweight(to_tsvector(case when language = 'ar' then 'arabic'::regconfig else 'english'::regconfig end, kce_search_normalize(summary)), 'B') || setweight(to_tsvector('simple', kce_search_normalize(kce_tags_text(tags))), 'C')) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "courses_search_idx" ON "courses" USING gin ("search");--> statement-breakpoint
ALTER TABLE "caption_cues" ADD CONSTRAINT "caption_cues_track_id_caption_tracks_id_fk" FOREIGN KEY ("track_id") REFERENCES "public"."caption_tracks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caption_tracks" ADD CONSTRAINT "caption_tracks_video_id_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caption_tracks" ADD CONSTRAINT "caption_tracks_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "caption_tracks_video_language_key" ON "caption_tracks" USING btree ("video_id","language");--> statement-breakpoint
CREATE INDEX "caption_tracks_course_idx" ON "caption_tracks" USING btree ("course_id");--> statement-breakpoint
CREATE INDEX "caption_tracks_search_idx" ON "caption_tracks" USING gin ("search");--> statement-breakpoint
CREATE INDEX "lessons_video_idx" ON "lessons" USING btree ("video_id");