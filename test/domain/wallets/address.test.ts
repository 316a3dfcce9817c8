import fc from 'fast-check';
import { getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { addressKey, parseAddress, sameAddress, shortAddress, toChecksumAddress } from '../../../src/domain/wallets/address.js';

// EIP-55's own test vectors (https://eips.ethereum.org/EIPS/eip-55).
const EIP55 = [
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
  '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
  '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
];

describe('wallet addresses', () => {
  it('normalises any letter case to the EIP-55 checksum spelling', () => {
    for (const a of EIP55) {
      const lower = parseAddress(a.toLowerCase());
      const upper = parseAddress(`0x${a.slice(2).toUpperCase()}`);
      expect(lower.ok && lower.value, `lower-case ${a} carries no checksum and is accepted`).toBe(a);
      expect(upper.ok && upper.value, `upper-case ${a} carries no checksum and is accepted`).toBe(a);
      expect(parseAddress(`  ${a}\n`), 'surrounding whitespace is ignored').toEqual({ ok: true, value: a });
    }
  });

  it('refuses a mixed-case address whose checksum is wrong, saying how to fix it', () => {
    const good = EIP55[0]!; // ends in a lower-case "d"
    const r = parseAddress(`${good.slice(0, -1)}D`);
    expect(r.ok, 'one letter in the wrong case is a typo, not the same address').toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_input');
      expect(r.error.message).toMatch(/wrong checksum.*lower case/);
    }
  });

  it('refuses malformed input with the reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', /must start with 0x/],
      ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe', /exactly 40 hex digits.*got 39/],
      ['0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', /40 hex digits/],
      [42, /must be a text address/],
      [null, /must be a text address/],
    ];
    for (const [input, why] of cases) {
      const r = parseAddress(input, 'wallet');
      expect(r.ok, `${String(input)} is not an address`).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(why);
    }
  });

  it('round-trips: parsing a checksummed address returns it unchanged (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const lower = `0x${Buffer.from(bytes).toString('hex')}`;
        const checksummed = toChecksumAddress(lower);
        const again = parseAddress(checksummed);
        return again.ok && again.value === checksummed && sameAddress(lower, checksummed) && addressKey(checksummed) === lower;
      }),
      { numRuns: 200 },
    );
  });

  it('shortens addresses for people', () => {
    expect(shortAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toBe('0x5aAe…eAed');
  });
});

describe('EIP-55 without viem at start-up', () => {
  it('spells every address as viem\'s getAddress does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const lower = `0x${Buffer.from(bytes).toString('hex')}`;
        const parsed = parseAddress(lower);
        expect(parsed.ok && parsed.value).toBe(getAddress(lower));
        expect(parseAddress(lower.toUpperCase().replace('0X', '0x')).ok && toChecksumAddress(lower)).toBe(getAddress(lower));
      }),
      { numRuns: 300 },
    );
  });
});
