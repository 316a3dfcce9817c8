// Structured logging to stderr (stdout belongs to MCP's stdio transport) with redaction: no secret —
// key, token, password, credential, authorization header, database password — reaches a log line.
// Two layers: fields whose names look secret are replaced, and every string is scrubbed of known
// secret values and of secret-shaped patterns (bearer tokens, MIKEY API keys, URL passwords).
import type { LogLevel } from './config.js';

const LEVELS: Record<Exclude<LogLevel, 'silent'>, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY_NAME = /(secret|token|password|passwd|passphrase|api[_-]?key|apikey|authorization|credential|cookie|private[_-]?key|ciphertext|code_hash|key_hash)/i;
export const REDACTED = '[redacted]';

const knownSecrets = new Set<string>();

/** Registers values that must never be printed (config secrets, generated keys). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

const PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  [/\bmk_[a-z]+_[A-Za-z0-9]{6,}_[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/(\/\/[^:/@\s]+:)[^@\s]+@/g, `$1${REDACTED}@`],
  [/\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g, REDACTED], // Telegram bot token shape
  [/\bsk-ant-[A-Za-z0-9_-]{10,}/g, REDACTED],
];

/**
 * drizzle's failed-query errors read "Failed query: <sql>\nparams: <values>". The values are what the
 * query carried — API-key hashes, credential ciphertexts, link-code hashes — so they never reach a log
 * or a message, for any table: the SQL (placeholders only) stays for debugging. The parameter list
 * runs to the end of the message; lines after it that are not stack frames still belong to it.
 */
const FAILED_QUERY_PARAMS = /(Failed query: [^\n]*\nparams: )[^\n]*(?:\n(?![ \t]+at )[^\n]*)*/g;

/** Removes secrets from a string. */
export function scrub(text: string): string {
  let out = text.replace(FAILED_QUERY_PARAMS, `$1${REDACTED}`);
  for (const s of knownSecrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** Deep copy of a value with secret-named fields replaced and strings scrubbed. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: scrub(withoutQueryParams(value, value.message)) };
    if (value.stack) out.stack = scrub(withoutQueryParams(value, value.stack));
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY_NAME.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/**
 * A drizzle query error knows its own parameters: cut them out of `text` (its message or stack) by
 * value, so even a parameter list the pattern above cannot delimit never survives.
 */
function withoutQueryParams(err: Error, text: string): string {
  const params = (err as { params?: unknown }).params;
  if (!Array.isArray(params) || params.length === 0) return text;
  const listed = `params: ${params.join(',')}`;
  return text.split(listed).join(`params: ${REDACTED}`);
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

/** A JSON-lines logger. `sink` is replaceable so tests can capture every line. */
export function createLogger(level: LogLevel = 'info', sink: LogSink = stderrSink, bindings: Record<string, unknown> = {}): Logger {
  const min = level === 'silent' ? Infinity : LEVELS[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[lvl] < min) return;
    const record = redact({ time: new Date().toISOString(), level: lvl, msg, ...bindings, ...fields }) as Record<string, unknown>;
    sink(JSON.stringify(record));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (b) => createLogger(level, sink, { ...bindings, ...b }),
  };
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger: Logger = createLogger('silent');
