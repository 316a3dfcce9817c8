// Telegram HTML rendering: everything escaped, ``` blocks as <pre>, long replies split into
// messages within 4,096 characters without breaking a tag or an entity, and the trade-card buttons.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeButtonData, encodeButtonData } from '../../src/bot/confirmation-buttons.js';
import { confirmationKeyboard, escapeHtml, renderCaption, renderConfirmationCard, renderHtmlChunks } from '../../src/bot/telegram/render.js';

/** Undoes the rendering: tags removed, entities decoded. */
function plain(html: string): string {
  return html.replace(/<\/?pre>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

describe('Telegram rendering', () => {
  it('escapes prose and puts tables in <pre>', () => {
    const out = renderHtmlChunks('Price of <SOL> & co\n```\nsym  px\nSOL  1<2\n```\nThat is all.');
    expect(out).toEqual(['Price of &lt;SOL&gt; &amp; co\n<pre>sym  px\nSOL  1&lt;2</pre>\nThat is all.']);
  });

  it('treats an unclosed fence as running to the end', () => {
    expect(renderHtmlChunks('a\n```\nb')).toEqual(['a\n<pre>b</pre>']);
  });

  it('splits long replies on lines, each message within the limit and balanced', () => {
    const rows = Array.from({ length: 400 }, (_, i) => `row ${i} <${'x'.repeat(20)}> & more`);
    const text = `Header\n\`\`\`\n${rows.join('\n')}\n\`\`\`\nFooter`;
    const chunks = renderHtmlChunks(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(4096);
      expect((c.match(/<pre>/g) ?? []).length, 'every <pre> is closed in its own message').toBe((c.match(/<\/pre>/g) ?? []).length);
    }
    expect(chunks.map(plain).join('\n').split('\n'), 'every line arrives, in order').toEqual(text.split('\n').filter((l) => l !== '```'));
  });

  it('never exceeds the limit or cuts an entity, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 300 }), fc.constant('```'), fc.constant('<&>'.repeat(50))), { maxLength: 40 }), fc.integer({ min: 40, max: 400 }), (parts, limit) => {
        const chunks = renderHtmlChunks(parts.join('\n'), limit);
        for (const c of chunks) {
          if (c.length > limit) return false;
          if (/&(?!amp;|lt;|gt;)/.test(c)) return false;
          if ((c.match(/<pre>/g) ?? []).length !== (c.match(/<\/pre>/g) ?? []).length) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('escapes captions and cuts them to 1,024 characters', () => {
    expect(renderCaption('SOL <1h>')).toBe('SOL &lt;1h&gt;');
    expect(renderCaption('&'.repeat(2000))!.length).toBeLessThanOrEqual(1024);
    expect(renderCaption(undefined)).toBeUndefined();
  });

  it('renders the trade card with its validity and Confirm / Cancel buttons', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const html = renderConfirmationCard('BUY 1 SOL/USDT <paper>', new Date(now.getTime() + 60_000), now);
    expect(html).toContain('<pre>BUY 1 SOL/USDT &lt;paper&gt;</pre>');
    expect(html).toContain('Valid for 60 s');
    const kb = confirmationKeyboard('abcDEF123_-x');
    expect(kb.inline_keyboard[0]!.map((b) => b.text)).toEqual(['✅ Confirm', '✖ Cancel']);
    const data = kb.inline_keyboard[0]!.map((b) => ('callback_data' in b ? b.callback_data : ''));
    expect(data.map(decodeButtonData)).toEqual([{ id: 'abcDEF123_-x', answer: 'yes' }, { id: 'abcDEF123_-x', answer: 'no' }]);
    expect(encodeButtonData('abcDEF123_-x', 'yes').length).toBeLessThanOrEqual(64);
    expect(decodeButtonData('mk:../../x:y')).toBeUndefined();
    expect(decodeButtonData('something else')).toBeUndefined();
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href="x"&gt;&amp;&lt;/a&gt;');
  });
});
