// The slice of express 5 MIKEY uses to host the MCP SDK's OAuth router (express ships without
// types and @types/express is not a dependency). Only what src/mcp/oauth calls is declared.
declare module 'express' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export interface Request extends IncomingMessage {
    body?: Record<string, unknown>;
    query: Record<string, unknown>;
    ip?: string;
  }
  export interface Response extends ServerResponse {
    status(code: number): Response;
    type(t: string): Response;
    send(body: string): Response;
    json(body: unknown): Response;
    set(field: string, value: string): Response;
    redirect(status: number, url: string): void;
  }
  export type NextFunction = (err?: unknown) => void;
  export type RequestHandler = (req: Request, res: Response, next: NextFunction) => void | Promise<void>;
  export interface Application {
    (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
    use(...handlers: Array<RequestHandler | string>): Application;
    post(path: string, ...handlers: RequestHandler[]): Application;
    set(setting: string, value: unknown): Application;
    disable(setting: string): Application;
  }
  interface Express {
    (): Application;
    urlencoded(opts: { extended: boolean; limit?: string }): RequestHandler;
  }
  const express: Express;
  export default express;
}
