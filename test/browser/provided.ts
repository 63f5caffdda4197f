/** What the browser tests' global setup hands the tests (see global-setup.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each jurisdiction serves the SPA and its API. */
    urls: { us: string; sa: string };
    /** What each jurisdiction's Workers read, for a test that reaches a backing service itself (ClickHouse). */
    settings: Record<string, Record<string, string>>;
  }
}

export {};
