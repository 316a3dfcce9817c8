import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, open, seal, secretKeyFromString } from '../../src/services/secret-box.js';

const k1 = secretKeyFromString('11'.repeat(32));
const k2 = secretKeyFromString('22'.repeat(32));

describe('secret box (AES-256-GCM bound to its row)', () => {
  it('round-trips any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 60 }), (text, aad) => open(k1, seal(k1, text, aad), aad) === text));
  });

  it('a copied ciphertext does not open under another row id', () => {
    const sealed = seal(k1, 'api-secret', 'exchange_credentials:row-a:api_secret');
    expect(() => open(k1, sealed, 'exchange_credentials:row-b:api_secret')).toThrow(/Cannot decrypt/);
  });

  it('a wrong key gives the clear error, never the plaintext', () => {
    const sealed = seal(k1, 'api-secret', 'aad');
    expect(() => open(k2, sealed, 'aad')).toThrow(/MIKEY_SECRET_KEY is not the key they were saved with/);
  });

  it('tampering is detected', () => {
    const parts = seal(k1, 'api-secret', 'aad').split('.');
    const ct = Buffer.from(parts[3]!, 'base64');
    ct[0] = ct[0]! ^ 1;
    parts[3] = ct.toString('base64');
    expect(() => open(k1, parts.join('.'), 'aad')).toThrow(/Cannot decrypt/);
  });

  it('each seal uses a fresh nonce', () => {
    expect(seal(k1, 'x', 'a')).not.toBe(seal(k1, 'x', 'a'));
  });

  it('generates a key file with owner-only permissions and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mikey-key-'));
    const a = await loadSecretKey(undefined, dir);
    const b = await loadSecretKey(undefined, dir);
    expect(a.source).toBe('generated');
    expect(b.source).toBe('file');
    expect(a.fingerprint).toBe(b.fingerprint);
    const st = await stat(join(dir, 'secret.key'));
    expect(st.mode & 0o777, 'the key file must be readable by its owner only').toBe(0o600);
    expect((await readFile(join(dir, 'secret.key'), 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a malformed configured key', () => {
    expect(() => secretKeyFromString('abc')).toThrow(/32 bytes/);
  });
});
