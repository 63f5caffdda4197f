ALTER TYPE "public"."video_status" ADD VALUE 'playable' BEFORE 'ready';--> statement-breakpoint
DROP INDEX "videos_lease_idx";--> statement-breakpoint
CREATE INDEX "videos_lease_idx" ON "videos" USING btree ("lease_expires_at") WHERE "videos"."lease_expires_at" is not null;