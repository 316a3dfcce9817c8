// One place that decides what a failed Bot API call means for the outbound sender. Telegraf throws a
// `TelegramError` carrying the Bot API's `error_code`, `description` and `parameters.retry_after`;
// network failures surface as node-fetch `FetchError`s with a system error code.
import type { PermanentReason, SendErrorClass } from './outbound-sender.js';

interface TelegramErrorShape {
  response?: { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } };
  code?: unknown;
  name?: unknown;
  type?: unknown;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** The Bot API error code of a telegraf error, when it is one. */
export function telegramErrorCode(err: unknown): number | undefined {
  const code = (err as TelegramErrorShape | null)?.response?.error_code;
  return typeof code === 'number' ? code : undefined;
}

export function telegramErrorDescription(err: unknown): string {
  const d = (err as TelegramErrorShape | null)?.response?.description;
  return typeof d === 'string' ? d : '';
}

/**
 * 429 → wait `retry_after` seconds (the message was not delivered); 5xx and network errors →
 * transient; 403 (blocked, kicked, cannot initiate a conversation) → forbidden; 400 "chat not found"
 * and friends → not found; anything else → rejected (retrying would fail the same way).
 */
export function classifyTelegramError(err: unknown): SendErrorClass {
  const e = (err ?? {}) as TelegramErrorShape;
  const code = telegramErrorCode(err);
  if (code !== undefined) {
    if (code === 429) {
      const after = Number(e.response?.parameters?.retry_after);
      return { kind: 'rate_limited', retryAfterMs: Number.isFinite(after) && after >= 0 ? after * 1000 : 1000 };
    }
    if (code >= 500) return { kind: 'transient' };
    return { kind: 'permanent', reason: permanentReason(code, telegramErrorDescription(err)) };
  }
  if (e.name === 'FetchError' || e.type === 'system' || (typeof e.code === 'string' && NETWORK_CODES.has(e.code))) return { kind: 'transient' };
  return { kind: 'permanent', reason: 'rejected' };
}

function permanentReason(code: number, description: string): PermanentReason {
  if (code === 403) return 'forbidden';
  if (code === 400 && /chat not found|user not found|peer_id_invalid|chat_id is empty|group chat was (?:deleted|upgraded)/i.test(description)) return 'not_found';
  return 'rejected';
}
