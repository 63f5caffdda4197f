/** Test-only: every other deployment's api Worker (`API_sa`), running beside the `us` one under test. */
type ApisElsewhere = { [J in Exclude<import('../../contracts/jurisdictions.ts').JurisdictionId, 'us'> as `API_${J}`]: Fetcher };

declare namespace Cloudflare {
  interface Env extends ApisElsewhere {
    /** Test-only: the harness's loopback endpoint for outage drills. */
    CONTROL_URL: string;
    /** Test-only: the media Worker's `video-jobs` queue, as R2's notifications reach it. */
    VIDEO_JOBS: Queue;
  }
}
