// Who is acting. Every service call takes an Actor built by the surface from its authenticated
// identity (the stdio owner, an API key, a linked Telegram/Discord user) — never from a tool argument.
import { randomUUID } from 'node:crypto';

export const Surface = {
  mcpStdio: 'mcp-stdio', mcpHttp: 'mcp-http', telegram: 'telegram', discord: 'discord', terminal: 'terminal',
  cli: 'cli', system: 'system', agent: 'agent',
} as const;
export type Surface = (typeof Surface)[keyof typeof Surface];

export interface Actor {
  userId: string;
  surface: Surface;
  /** The API key behind an HTTP request, when there is one. */
  apiKeyId?: string;
  /** Ties every audit row of one request together. */
  traceId: string;
}

export function newTraceId(): string {
  return randomUUID();
}

export function actorFor(userId: string, surface: Surface, extra: { apiKeyId?: string; traceId?: string } = {}): Actor {
  return { userId, surface, traceId: extra.traceId ?? newTraceId(), ...(extra.apiKeyId ? { apiKeyId: extra.apiKeyId } : {}) };
}
