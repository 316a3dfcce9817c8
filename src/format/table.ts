// Tidy monospace tables for terminal and chat replies (Telegram <pre>, Discord code blocks).
export type Align = 'left' | 'right';

/** Columns that hold ids a person types back: text, however their hex digits happen to fall. */
const ID_HEADERS = new Set(['id', 'order', 'bot', 'stake']);

/** Renders rows under a header with column widths fitted to the content; numbers align right, ids left. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNumeric = (i: number): boolean =>
    !ID_HEADERS.has(header[i]!) && rows.length > 0 && rows.every((r) => /^[-+]?[$]?[\d,]*\.?\d+%?$|^—?$/.test((r[i] ?? '').trim()));
  const aligns = header.map((_, i) => align?.[i] ?? (isNumeric(i) ? 'right' : 'left'));
  const cell = (s: string, i: number): string => (aligns[i] === 'right' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: readonly string[]): string => r.map((c, i) => cell(c ?? '', i)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
