// Values the global setups hand to test workers.
declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplateFile: string;
    pgTemplateDb: string;
    pgAdminUrl: string;
    pgRunId: string;
  }
}
export {};
