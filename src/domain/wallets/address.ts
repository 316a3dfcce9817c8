// Wallet addresses: one canonical spelling per address, so a wallet watched as `0xabc…` and seen in
// a log as `0xABC…` is the same row (`wallets_chain_address_unique` compares text). EVM chains and
// Hyperliquid share the form: `0x` and 40 hex digits (20 bytes). The canonical spelling is EIP-55's
// mixed-case checksum: it is what explorers show and what people paste, and a mixed-case input whose
// checksum is wrong is refused, because one mistyped character in a checksummed address would
// otherwise watch somebody else's wallet. All-lower or all-upper input carries no checksum and is
// accepted. EIP-55: hash the lower-case hex digits (as ASCII) with Keccak-256; a letter is upper case
// where the hash's nibble at its position is 8 or more. Keccak comes from @noble/hashes (audited, no
// I/O, a few milliseconds to load) rather than viem, whose import costs every start ~0.3 s.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { DomainErrorCode, fail, ok, type Result } from '../result.js';

/** A checksummed (EIP-55) 20-byte address, `0x` + 40 hex digits. */
export type Address = `0x${string}`;

/** Where an address lives. Every EVM chain and Hyperliquid share the 20-byte form. */
export const AddressChain = { ethereum: 'ethereum', hyperliquid: 'hyperliquid' } as const;
export type AddressChain = (typeof AddressChain)[keyof typeof AddressChain];

const HEX40 = /^0x[0-9a-fA-F]{40}$/;

/** Shortens an address for text a person reads: `0xAbCd…1234`. */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/**
 * Parses an untrusted address (chat input, tool argument, vendor response) into its checksummed
 * form. Surrounding whitespace is ignored; anything else that is not `0x` + 40 hex digits, or a
 * mixed-case address with a wrong checksum, is refused with a message saying how to fix it.
 */
export function parseAddress(input: unknown, field = 'address'): Result<Address> {
  if (typeof input !== 'string') return fail(DomainErrorCode.invalidInput, `${field} must be a text address like 0x followed by 40 hex digits`);
  const s = input.trim();
  if (!HEX40.test(s)) {
    const shown = s.length > 50 ? `${s.slice(0, 47)}…` : s;
    const why = !s.startsWith('0x') && !s.startsWith('0X')
      ? 'it must start with 0x'
      : `it must have exactly 40 hex digits (0-9, a-f) after 0x, got ${String(s.length - 2)} characters`;
    return fail(DomainErrorCode.invalidInput, `${field} "${shown}" is not an address: ${why}`);
  }
  const digits = s.slice(2);
  const carriesChecksum = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (carriesChecksum && checksummed(digits.toLowerCase()) !== s) {
    return fail(
      DomainErrorCode.invalidInput,
      `${field} ${shortAddress(s)} has a wrong checksum (its upper/lower case letters do not match EIP-55); copy it again from the explorer or paste it all in lower case`,
    );
  }
  return ok(checksummed(digits.toLowerCase()));
}

/** EIP-55 spelling of 40 lower-case hex digits. */
/** Checksummed forms already computed (logs name the same few contracts and wallets over and over); bounded. */
const CHECKSUMS = new Map<string, Address>();
const MAX_CHECKSUMS = 10_000;

function checksummed(lower: string): Address {
  const known = CHECKSUMS.get(lower);
  if (known !== undefined) return known;
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = lower[i]!;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += c >= 'a' && c <= 'f' && nibble >= 8 ? c.toUpperCase() : c;
  }
  if (CHECKSUMS.size >= MAX_CHECKSUMS) CHECKSUMS.clear();
  CHECKSUMS.set(lower, out as Address);
  return out as Address;
}

/** Canonical form of an address already known to be well formed (e.g. decoded from a log). Throws otherwise. */
export function toChecksumAddress(address: string): Address {
  if (!HEX40.test(address)) throw new RangeError(`not a 20-byte hex address: ${address.slice(0, 50)}`);
  return checksummed(address.slice(2).toLowerCase());
}

/** True when `a` and `b` name the same 20-byte address, whatever their letter case. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Lookup key for address maps and sets (lower case). Maps keyed by this are immune to the spelling a
 * log, an RPC node or a person used.
 */
export function addressKey(address: string): string {
  return address.toLowerCase();
}
