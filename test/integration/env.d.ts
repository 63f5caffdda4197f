declare namespace Cloudflare {
  interface Env {
    /** Test-only: the `sa` deployment's api Worker, running beside the `us` one under test. */
    API_SA: Fetcher;
    /** Test-only: the harness's loopback endpoint for outage drills. */
    CONTROL_URL: string;
    /** Test-only: the media Worker's `video-jobs` queue, as R2's notifications reach it. */
    VIDEO_JOBS: Queue;
  }
}
