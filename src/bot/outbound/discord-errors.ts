// What a failed Discord REST call means for the outbound sender. discord.js's REST manager already
// waits out 429s itself (unless told to reject), so a rate limit reaching us is rare; the codes that
// matter are the JSON error codes: 50007 "Cannot send messages to this user" (DMs closed or bot
// blocked), 10013 unknown user, 10003 unknown channel.
import type { SendErrorClass } from './outbound-sender.js';

interface DiscordErrorShape {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  /** RateLimitError (rejectOnRateLimit): milliseconds to wait. */
  retryAfter?: unknown;
  timeToReset?: unknown;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function classifyDiscordError(err: unknown): SendErrorClass {
  const e = (err ?? {}) as DiscordErrorShape;
  if (e.name === 'RateLimitError') {
    const ms = Number(e.retryAfter ?? e.timeToReset);
    return { kind: 'rate_limited', retryAfterMs: Number.isFinite(ms) && ms >= 0 ? ms : 1000 };
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  if (status === 429) return { kind: 'rate_limited', retryAfterMs: 1000 };
  if (e.code === 50007 || e.code === 50001 || e.code === 50013 || status === 403) return { kind: 'permanent', reason: 'forbidden' };
  if (e.code === 10013 || e.code === 10003 || status === 404) return { kind: 'permanent', reason: 'not_found' };
  if (status !== undefined && status >= 500) return { kind: 'transient' };
  if (status !== undefined) return { kind: 'permanent', reason: 'rejected' };
  if (e.name === 'AbortError' || (typeof e.code === 'string' && NETWORK_CODES.has(e.code))) return { kind: 'transient' };
  return { kind: 'permanent', reason: 'rejected' };
}
