// Numbers as traders type them ("70k", "1.5m", "$1,250.50", "25%", "half") turned into decimal
// strings by string manipulation alone: no amount ever passes through a JavaScript float.

/** A number as written: optional `$`, digits with optional thousands commas, decimals, a k/m/b suffix. */
export const NUMBER_SOURCE = String.raw`(?<![\w.])\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:k|m|mm|b|bn)?(?!\w|\.\d)|(?<![\w.])\$?\s?\.\d+(?!\w|\.\d)`;

const NUMBER_PARTS = /^\$?\s?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(k|m|mm|b|bn)?$/;

const SHIFT: Record<string, number> = { k: 3, m: 6, mm: 6, b: 9, bn: 9 };

/** Strips leading zeros of the integer part and, when `trimFraction`, trailing zeros of the fraction. */
function tidy(intPart: string, fracPart: string, trimFraction: boolean): string {
  const i = intPart.replace(/^0+(?=\d)/, '') || '0';
  const f = trimFraction ? fracPart.replace(/0+$/, '') : fracPart;
  return f ? `${i}.${f}` : i;
}

/** Moves the decimal point of a plain decimal string `places` to the right (negative: to the left). */
export function shiftDecimal(value: string, places: number): string {
  const [rawInt = '', rawFrac = ''] = value.split('.');
  const digits = (rawInt || '0') + rawFrac;
  let point = (rawInt || '0').length + places;
  let all = digits;
  if (point <= 0) {
    all = '0'.repeat(1 - point) + all;
    point = 1;
  }
  if (point > all.length) all = all + '0'.repeat(point - all.length);
  return tidy(all.slice(0, point), all.slice(point), true);
}

/**
 * Parses one number token ("70k", "$1,250.50", ".5") to a decimal string ("70000", "1250.50", "0.5").
 * Digits after the point are kept as written unless a suffix moved the point.
 */
export function parseNumberToken(token: string): string | undefined {
  const m = NUMBER_PARTS.exec(token.trim().toLowerCase());
  if (!m) return undefined;
  const body = (m[1] ?? '').replace(/,/g, '');
  const suffix = m[2];
  if (suffix) return shiftDecimal(body, SHIFT[suffix] ?? 0);
  const [i = '', f = ''] = body.split('.');
  return tidy(i, f, false);
}

/** Converts a percentage ("25", "12.5") to a fraction ("0.25", "0.125"). */
export function percentToFraction(percent: string): string {
  return shiftDecimal(percent, -2);
}

/** True when a plain decimal string is greater than zero and at most one. */
export function isUnitFraction(value: string): boolean {
  if (!/^\d+(\.\d+)?$/.test(value)) return false;
  const [i = '', f = ''] = value.split('.');
  const int = i.replace(/^0+/, '');
  const frac = f.replace(/0+$/, '');
  if (int === '') return frac !== '';
  return int === '1' && frac === '';
}

/** Words for parts of a position. */
export const FRACTION_WORDS: Record<string, string> = {
  all: '1', everything: '1', entire: '1', whole: '1', full: '1',
  half: '0.5', quarter: '0.25', 'a quarter': '0.25', 'three quarters': '0.75', 'a tenth': '0.1', tenth: '0.1',
};

/**
 * Splits one (the whole) into `n` parts that are decimal strings with two places and sum exactly to
 * one: the remainder goes on the last part (3 → 0.33, 0.33, 0.34).
 */
export function splitEvenly(n: number): string[] {
  if (n <= 1) return ['1'];
  const hundredths = Math.floor(100 / n);
  const parts: number[] = Array.from({ length: n }, () => hundredths);
  parts[n - 1] = 100 - hundredths * (n - 1);
  return parts.map((p) => (p === 100 ? '1' : shiftDecimal(String(p), -2)));
}
