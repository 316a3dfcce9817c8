// ChatReply → Telegram HTML. Everything is escaped (replies quote user-written labels and untrusted
// tool output); ``` blocks become <pre>; long replies are split on line boundaries into messages
// within Telegram's 4096-character limit, never inside a tag or an entity.
import type { InlineKeyboardMarkup } from 'telegraf/types';
import { encodeButtonData } from '../confirmation-buttons.js';
import { cardHeading, type ConfirmationRequest } from '../chat-types.js';

export const TELEGRAM_TEXT_LIMIT = 4096;
export const TELEGRAM_CAPTION_LIMIT = 1024;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Segment {
  code: boolean;
  lines: string[];
}

/** Splits text on ``` fence lines into prose and monospace segments (an unclosed fence runs to the end). */
function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let current: Segment = { code: false, lines: [] };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*```/.test(line)) {
      if (current.lines.length > 0) out.push(current);
      current = { code: !current.code, lines: [] };
      continue;
    }
    current.lines.push(line);
  }
  if (current.lines.length > 0) out.push(current);
  return out;
}

/** Cuts one raw line into pieces whose escaped length fits `room`. */
function cutLine(line: string, room: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let size = 0;
  for (const ch of line) {
    const w = escapeHtml(ch).length;
    if (size + w > room && piece !== '') {
      pieces.push(piece);
      piece = '';
      size = 0;
    }
    piece += ch;
    size += w;
  }
  pieces.push(piece);
  return pieces;
}

/**
 * Renders reply text as one or more HTML messages, each at most `limit` characters. Prose is
 * escaped; ``` blocks become <pre> (each message closes what it opens).
 */
export function renderHtmlChunks(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const chunks: string[] = [];
  let chunk = '';
  const pushChunk = (): void => {
    if (chunk.trim() !== '') chunks.push(chunk);
    chunk = '';
  };
  for (const seg of segments(text)) {
    const open = seg.code ? '<pre>' : '';
    const close = seg.code ? '</pre>' : '';
    const room = limit - open.length - close.length;
    const lines = seg.lines.flatMap((l) => (escapeHtml(l).length > room ? cutLine(l, room) : [l])).map(escapeHtml);
    let body: string | undefined;
    const fits = (candidate: string): boolean => (chunk === '' ? 0 : chunk.length + 1) + open.length + candidate.length + close.length <= limit;
    const flush = (): void => {
      if (body === undefined) return;
      const piece = `${open}${body}${close}`;
      chunk = chunk === '' ? piece : `${chunk}\n${piece}`;
      body = undefined;
    };
    for (const line of lines) {
      const candidate = body === undefined ? line : `${body}\n${line}`;
      if (fits(candidate)) {
        body = candidate;
        continue;
      }
      flush();
      pushChunk();
      body = line;
    }
    flush();
  }
  pushChunk();
  return chunks.map((c) => c.replace(/^\n+|\n+$/g, ''));
}

/** A caption: escaped and cut to Telegram's caption limit. */
export function renderCaption(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const escaped = renderHtmlChunks(text, TELEGRAM_CAPTION_LIMIT)[0];
  return escaped === '' ? undefined : escaped;
}

export function confirmationKeyboard(id: string): InlineKeyboardMarkup {
  return {
    inline_keyboard: [[
      { text: '✅ Confirm', callback_data: encodeButtonData(id, 'yes') },
      { text: '✖ Cancel', callback_data: encodeButtonData(id, 'no') },
    ]],
  };
}

/** The trade card: the facts in monospace, then how long the buttons stay valid. */
export function renderConfirmationCard(cardText: string, expiresAt: Date, now: Date, kind?: ConfirmationRequest['kind']): string {
  const seconds = Math.max(0, Math.round((expiresAt.getTime() - now.getTime()) / 1000));
  const card = renderHtmlChunks(['```', cardText, '```'].join('\n'), TELEGRAM_TEXT_LIMIT - 200)[0] ?? '';
  return `<b>${cardHeading({ kind }).title}</b>\n${card}\n⏳ Valid for ${seconds} s. Nothing happens until you press ✅ Confirm.`;
}
