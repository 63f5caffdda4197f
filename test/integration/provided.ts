/** What the global setup hands the tests and the Workers project (see global-setup.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    settings: Record<string, Record<string, string>>;
    bundles: { api: string; analytics: string; media: string };
    controlUrl: string;
  }
}

export {};
