// Text for people. Tool results are written for a model as well as a person: outside text is wrapped
// in <untrusted-data> marks (reliability 16), an error carries its details as JSON after the message,
// and a trade card tells the model how to call place-order with the token. The model keeps all of
// that (src/bot/agent/tool-results.ts); every surface a person reads — terminal, Telegram, Discord,
// push notifications — shows only what is meant for them, through `personText`.
//
// The marks are removed and their content kept exactly as the tool escaped it (`<` and `>` inside
// marked text are already ‹ and ›, so marked content can never close or forge a mark, and each
// surface escapes the result for its own markup as for any other text).
import { renderTable } from '../format/table.js';
import type { ChatReply } from './chat-types.js';

/** An opening or closing mark, as `untrusted()` in src/mcp/tool.ts writes them. */
const MARK = /<untrusted-data(?:\s+source="[^"<>]*")?\s*>|<\/untrusted-data\s*>/g;
const HAS_MARK = new RegExp(MARK.source);

/** A line of a JavaScript stack trace ("    at fn (file.ts:1:2)", "    at file:///x.js:3:4"). */
const STACK_LINE = /^\s+at\s+(?:.+\s+\()?(?:file:\/\/|node:|\/|[A-Za-z]:\\|<anonymous>).*\)?\s*$/;

/**
 * Lines addressed to a model: how to execute a card with its token, how to approve a bot's card with
 * start-bot. A person confirms with a button or "yes".
 */
const MODEL_LINE = /confirmationToken|\bcall (?:place-order|close-position|close-all-positions)\b|\bstart-bot with botId\b/;

/** Removes the <untrusted-data> marks; the marked content stays. */
export function withoutUntrustedMarks(text: string): string {
  return text.replace(MARK, '');
}

/** Longest JSON block looked for, in lines (a card's details run to about 60). */
const MAX_JSON_LINES = 400;

function isJsonBlock(block: string): boolean {
  try {
    const v: unknown = JSON.parse(block);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

/** The last line of the JSON block opening at line `at`, or undefined when none parses. */
function blockEnd(lines: readonly string[], at: number, indent: number): number | undefined {
  for (let j = at + 1; j < Math.min(lines.length, at + MAX_JSON_LINES); j++) {
    const close = /^(\s*)[\]}],?\s*$/.exec(lines[j]!);
    if (!close || close[1]!.length !== indent) continue;
    return isJsonBlock(lines.slice(at, j + 1).join('\n')) ? j : undefined;
  }
  return undefined;
}

/**
 * Drops every JSON object or array printed on lines of its own (error details, a card's data): a
 * line that parses by itself, or a line opening with `{` / `[` through the first later line closing
 * at the same indentation, when that block parses (as `JSON.stringify(…, null, 2)` prints them).
 */
function withoutJsonBlocks(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^(\s*)[[{]/.exec(line);
    if (open) {
      if (isJsonBlock(line)) continue;
      const end = blockEnd(lines, i, open[1]!.length);
      if (end !== undefined) {
        i = end;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}

/**
 * A table (header, ─ rule, rows, as `renderTable` draws them) whose cells hold marks: the columns
 * were sized with the marks, so the cells are cut at the rule's columns, unmarked, and the table is
 * drawn again to fit what is left. Anything else just loses its marks.
 */
function unmarkTable(lines: readonly string[]): string[] {
  const rule = lines[1];
  if (lines.length < 3 || rule === undefined || !/^─[─ ]*$/.test(rule)) return lines.map(withoutUntrustedMarks);
  const starts = [...rule.matchAll(/─+/g)].map((m) => m.index);
  const cells = (line: string): string[] => starts.map((at, i) => withoutUntrustedMarks(line.slice(at, starts[i + 1])).trim());
  return renderTable(cells(lines[0]!), lines.slice(2).map(cells)).split('\n');
}

/** Removes the marks; tables in ``` blocks are drawn again so their columns still line up. */
function unmarked(lines: readonly string[]): string[] {
  const out: string[] = [];
  let block: string[] | undefined;
  for (const line of lines) {
    if (/^\s*```/.test(line)) {
      if (block) {
        out.push(...(block.some((l) => HAS_MARK.test(l)) ? unmarkTable(block) : block));
        block = undefined;
      } else {
        block = [];
      }
      out.push(line);
      continue;
    }
    if (block) block.push(line);
    else out.push(withoutUntrustedMarks(line));
  }
  if (block) out.push(...block.map(withoutUntrustedMarks));
  return out;
}

/**
 * Any text from MIKEY's tools or model, as a person should read it: no <untrusted-data> marks, no
 * JSON objects, no stack traces, no instructions meant for a model. Idempotent.
 */
export function personText(text: string): string {
  const lines = unmarked(text.replace(/\r\n?/g, '\n').split('\n'));
  const kept = withoutJsonBlocks(lines).filter((l) => !STACK_LINE.test(l) && !MODEL_LINE.test(l));
  return kept.join('\n').replace(/^Confirmation required before this executes\.\n?/, '').replace(/\n{3,}/g, '\n\n').trim();
}

const PROTOCOL_ERROR = /^(?:The [\w-]+ call failed:\s*)?MCP error -?\d+:\s*(?:Input validation error:\s*)?(?:Invalid arguments for tool [\w-]+:\s*)?/;

/**
 * The MCP SDK's refusal of malformed arguments ("MCP error -32602: Input validation error: Invalid
 * arguments for tool preview-order: is too large (…) at price"), said as words: which field, what.
 */
function protocolErrorForPeople(text: string): string | undefined {
  if (!PROTOCOL_ERROR.test(text)) return undefined;
  const problems = text.replace(PROTOCOL_ERROR, '').split('\n').map((l) => l.trim()).filter((l) => l !== '').map((issue) => {
    const m = /^(.*\S)\s+at\s+([\w.[\]-]+)$/.exec(issue);
    if (!m) return issue;
    const [, message = '', field = ''] = m;
    if (message.startsWith(field)) return message;
    return /^(?:is|are|must|should|needs?|has|cannot|can't)\b/.test(message) ? `${field} ${message}` : `${field}: ${message}`;
  });
  return `I couldn't do that: ${problems.join('; ') || 'the request was not valid'}. Nothing was changed.`;
}

/** What a person reads for one tool result: its text cleaned; an error as its message and hint. */
export function toolResultForPeople(result: { isError: boolean; text: string }): string {
  const text = personText(result.text);
  if (!result.isError) return text;
  return protocolErrorForPeople(text) ?? (text === '' ? 'That did not work, and nothing was changed.' : text);
}

/** A whole reply as a person reads it: its text, the trade card and the chart captions cleaned. */
export function replyForPeople(reply: ChatReply): ChatReply {
  const images = reply.images?.map((img) => {
    const caption = img.caption === undefined ? undefined : personText(img.caption);
    const { caption: _old, ...rest } = img;
    return caption ? { ...rest, caption } : rest;
  });
  return {
    ...reply,
    text: personText(reply.text),
    ...(images ? { images } : {}),
    ...(reply.confirmation ? { confirmation: { ...reply.confirmation, cardText: personText(reply.confirmation.cardText) } } : {}),
  };
}

/** A push notification as a person reads it. */
export function notificationForPeople<N extends { title: string; body: string }>(n: N): N {
  return { ...n, title: personText(n.title), body: personText(n.body) };
}
