// Preparing a message for the grammar: one ASCII, single-spaced, lower-case form with the same
// length as the trader's casing (so positions line up), politeness stripped, and every symbol
// mention replaced by a placeholder (`§A`, `§B`, …) the rules can capture.
import { NUMBER_SOURCE, parseNumberToken } from './numbers.js';
import { findSymbols, type SymbolContext, type SymbolMention, type SymbolRepeat } from './symbols.js';

/** Longest message the offline grammar reads; longer text is not a command. */
export const MAX_COMMAND_LENGTH = 500;
/** Most symbols one message may name (get-price takes up to 20). */
export const MAX_SYMBOLS = 20;

export interface Prepared {
  /** Trader's casing, ASCII, single spaces, politeness and trailing punctuation stripped. */
  orig: string;
  /** `orig` in lower case (same length). */
  lower: string;
  /** `lower` with each symbol mention replaced by `§` + a letter (index into `symbols`). */
  masked: string;
  symbols: SymbolMention[];
}

const LEADING = /^(?:@?mikey\b[,:]?|hey mikey\b[,:]?|hi mikey\b[,:]?|please|pls|plz|kindly|can you|could you|would you|will you|can i|could i|i want to|i wanna|i'd like to|i would like to|i need to|let's|lets|go ahead and|just|ok|okay|yo|hey|now|quickly)[,:]?\s+/i;
const TRAILING = /[,\s]+(?:please|pls|plz|thanks|thank you|thx|ty|for me|now|asap|right now|mikey)$/i;

/** Normalises a message to printable ASCII with single spaces; other characters become spaces. */
export function asciiSingleSpaced(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02bc`\u00b4]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Strips politeness, addressing and trailing punctuation. */
export function stripPoliteness(text: string): string {
  let s = text.replace(/[?!.;,\s]+$/, '');
  for (let i = 0; i < 6; i++) {
    const next = s.replace(LEADING, '').replace(TRAILING, '').replace(/[?!.;,\s]+$/, '');
    if (next === s) break;
    s = next;
  }
  return s;
}

const PLACEHOLDER = 'ABCDEFGHIJKLMNOPQRST';

export function prepare(text: string, ctx: SymbolContext): Prepared {
  const orig = text;
  const lower = orig.toLowerCase();
  const repeats: SymbolRepeat[] = [];
  const symbols = findSymbols(orig, ctx, repeats).slice(0, MAX_SYMBOLS);
  // A symbol named twice ("buy eth if it drops to 2800, 1 eth") gets its placeholder both times.
  const spans = [...symbols.map((s, i) => ({ index: i, start: s.start, end: s.end })), ...repeats.filter((r) => r.index < symbols.length)]
    .sort((a, b) => a.start - b.start);
  let masked = '';
  let at = 0;
  for (const s of spans) {
    masked += lower.slice(at, s.start) + '§' + PLACEHOLDER[s.index];
    at = s.end;
  }
  masked += lower.slice(at);
  return { orig, lower, masked, symbols };
}

/** Source of a placeholder capture group: `(§[A-T])`. */
export const SYM = '(§[A-T])';
/** Source of a number capture group. */
export const NUM = `(${NUMBER_SOURCE})`;

/** The mention a placeholder stands for. */
export function mentionOf(p: Prepared, placeholder: string | undefined): SymbolMention | undefined {
  if (!placeholder) return undefined;
  const i = PLACEHOLDER.indexOf(placeholder.slice(1));
  return i >= 0 ? p.symbols[i] : undefined;
}

/** Every mention whose placeholder appears in `fragment`, in order, each once. */
export function mentionsIn(p: Prepared, fragment: string): SymbolMention[] {
  const out: SymbolMention[] = [];
  for (const m of fragment.matchAll(/§([A-T])/g)) {
    const s = p.symbols[PLACEHOLDER.indexOf(m[1] ?? '')];
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

const ALL_NUMBERS = new RegExp(NUMBER_SOURCE, 'g');

/** Parses a captured number to a decimal string. */
export function amount(token: string | undefined): string | undefined {
  return token === undefined ? undefined : parseNumberToken(token);
}

/** Every number in `fragment`, as decimal strings. */
export function numbersIn(fragment: string): string[] {
  const out: string[] = [];
  for (const m of fragment.matchAll(ALL_NUMBERS)) {
    const v = parseNumberToken(m[0]);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Replaces the first occurrence of `what` (literal text or a pattern) in `s` by a space. */
export function cut(s: string, what: string | RegExp): string {
  return s.replace(what, ' ').replace(/\s+/g, ' ').trim();
}
