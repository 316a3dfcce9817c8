// Encryption of exchange secrets at rest: AES-256-GCM under a key that lives outside the database
// (MIKEY_SECRET_KEY, or a generated file in the data directory with owner-only permissions). The
// associated data binds each ciphertext to its row and field, so a ciphertext copied to another row
// or column does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, ErrorCode } from './errors.js';

const VERSION = 'v1';

export interface SecretKey {
  key: Buffer;
  /** Short fingerprint (not the key) for messages and key-rotation bookkeeping. */
  fingerprint: string;
}

export function secretKeyFromString(text: string): SecretKey {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new AppError(ErrorCode.invalidInput, 'MIKEY_SECRET_KEY must be 32 bytes (64 hex characters or base64)', 'generate one with: openssl rand -hex 32');
  }
  return { key, fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 12) };
}

/**
 * The key from MIKEY_SECRET_KEY, else `<dataDir>/secret.key`, generated on first use with mode 0600.
 */
export async function loadSecretKey(configured: string | undefined, dataDir: string): Promise<SecretKey & { source: 'env' | 'file' | 'generated' }> {
  if (configured) return { ...secretKeyFromString(configured), source: 'env' };
  const file = join(dataDir, 'secret.key');
  try {
    const text = (await readFile(file, 'utf8')).trim();
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0) await chmod(file, 0o600);
    return { ...secretKeyFromString(text), source: 'file' };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const hex = randomBytes(32).toString('hex');
  await writeFile(file, hex + '\n', { mode: 0o600, flag: 'wx' }).catch(async (err: { code?: string }) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const text = (await readFile(file, 'utf8')).trim();
  return { ...secretKeyFromString(text), source: 'generated' };
}

/** Encrypts `plaintext` bound to `aad` (e.g. "exchange_credentials:<row id>:api_secret"). */
export function seal(key: SecretKey, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64'), tag.toString('base64'), ct.toString('base64')].join('.');
}

/** Decrypts; a wrong key, another row's ciphertext or any tampering gives one clear error. */
export function open(key: SecretKey, sealed: string, aad: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new AppError(ErrorCode.invalidInput, 'Stored credential is not in a format MIKEY knows');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(parts[1]!, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts[2]!, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new AppError(
      ErrorCode.forbidden,
      'Cannot decrypt the stored exchange credentials: MIKEY_SECRET_KEY is not the key they were saved with, or the row was altered',
      'start MIKEY with the original MIKEY_SECRET_KEY, or delete and re-add the credentials',
    );
  }
}
