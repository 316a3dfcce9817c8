import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/format/table.js';

describe('renderTable', () => {
  it('aligns numbers right and text left', () => {
    expect(renderTable(['asset', 'total'], [['BTC', '1.5'], ['USDT', '1,000.25']])).toBe(
      ['asset     total', '─────  ────────', 'BTC         1.5', 'USDT   1,000.25'].join('\n'),
    );
  });

  it('keeps a short id left-aligned when its hex digits happen to be all decimal', () => {
    // 8 hex digits are all 0-9 about one time in 43: such an id once shifted the header of `exchange list`.
    for (const header of ['id', 'order', 'bot', 'stake']) {
      expect(renderTable([header, 'qty'], [['10549379', '2'], ['20230105', '10']])).toBe(
        [`${header.padEnd(8)}  qty`, '────────  ───', '10549379    2', '20230105   10'].join('\n'),
      );
    }
  });
});
