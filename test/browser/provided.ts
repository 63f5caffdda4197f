/** What the browser tests' global setup hands the tests (see global-setup.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each jurisdiction serves the SPA and its API. */
    urls: { us: string; sa: string };
  }
}

export {};
