import { z } from 'zod';
import { ANALYTICS_EVENT_TYPES } from '../../../contracts/analytics.ts';
import { AnalyticsEvent, Breakdown, Dashboard, DropOff, Funnel, PlaybackQuality, Summary, TopContent } from '../../lib/contracts.ts';
import { MAX_EVENTS_PER_REQUEST } from './ingest.ts';

/**
 * What `POST /api/analytics/events` takes, for the document: the route reads the body itself (a
 * beacon posts it as text/plain) and checks each event on its own, so an invalid one is rejected
 * in the answer rather than refusing the batch.
 */
export const EventBatch = z
  .strictObject({ events: z.array(AnalyticsEvent.meta({ id: 'AnalyticsEvent' })).min(1).max(MAX_EVENTS_PER_REQUEST) })
  .meta({ id: 'EventBatch' });

/** What `POST /api/analytics/video-view` takes: one video event, `video_play` unless it says otherwise. */
export const VideoView = AnalyticsEvent.extend({
  type: z.enum(ANALYTICS_EVENT_TYPES.filter((type) => type.startsWith('video_'))).default('video_play'),
}).meta({ id: 'VideoView' });

export const Rejection = z.object({
  index: z.int().min(0).meta({ description: 'The event’s position in the request.' }),
  reason: z.string(),
});
export type Rejection = z.infer<typeof Rejection>;

/** The events accepted (queued for analytics) and those rejected, each with the reason. */
export const IngestResult = z.object({ accepted: z.int().min(0), rejected: z.array(Rejection) }).meta({ id: 'IngestResult' });
export type IngestResult = z.infer<typeof IngestResult>;

/** What every report covers: whole UTC days, and one course or (null) all the caller may read. */
const ReportScope = z.object({ from: z.iso.date(), to: z.iso.date(), courseId: z.uuid().nullable() });

export const DashboardReport = ReportScope.extend(Dashboard.shape).meta({ id: 'DashboardReport' });
export const SummaryReport = ReportScope.extend({ summary: Summary }).meta({ id: 'SummaryReport' });
export const TopReport = ReportScope.extend({ top: TopContent }).meta({ id: 'TopReport' });
export const FunnelReport = ReportScope.extend({ funnel: Funnel }).meta({ id: 'FunnelReport' });
export const BreakdownReport = ReportScope.extend({ breakdown: Breakdown }).meta({ id: 'BreakdownReport' });
export const DropOffReport = ReportScope.extend({ dropOff: DropOff }).meta({ id: 'DropOffReport' });
export const QualityReport = ReportScope.extend({ quality: PlaybackQuality }).meta({ id: 'QualityReport' });
