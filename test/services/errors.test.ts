// How an expected failure reads: its message, then its hint as the next sentence, without a doubled stop.
import { describe, expect, it } from 'vitest';
import { withHint } from '../../src/services/errors.js';

describe('withHint', () => {
  it('joins a plain message and its hint with the surface joiner and ends with one stop', () => {
    expect(withHint('price must be above 0', 'give price as a decimal string'), 'MCP style: a sentence each').toBe('price must be above 0. give price as a decimal string.');
    expect(withHint('price must be above 0', 'give price as a decimal string', ';'), 'terminal style: one sentence').toBe('price must be above 0; give price as a decimal string.');
    expect(withHint('portfolio not found', undefined), 'no hint, the message alone').toBe('portfolio not found');
  });

  it('does not follow a message ending in ?, ! or . with another stop', () => {
    const question = 'you have 2 open ETH positions: ETH/USDT and ETH-PERP. Which one do you mean?';
    for (const joiner of ['.', ';'] as const) {
      const text = withHint(question, 'say "ETH/USDT" or "ETH-PERP" (give it as symbol)', joiner);
      expect(text, `a question is not followed by "${joiner}"`).toBe(`${question} Say "ETH/USDT" or "ETH-PERP" (give it as symbol).`);
      expect(withHint('trading is halted!', 'resume-trading lifts it', joiner), 'an exclamation keeps its mark; a command name keeps its case').toBe('trading is halted! resume-trading lifts it.');
      expect(withHint('nothing changed.', 'try again', joiner), 'a full stop is not doubled').toBe('nothing changed. Try again.');
    }
    expect(withHint('order refused', 'check the price.'), 'a hint ending its own sentence gets no second stop').toBe('order refused. check the price.');
  });
});
