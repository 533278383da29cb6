import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { privateDirectory } from '../store/private-path.js';

const VERSION = 'v1';

/**
 * Encrypts secrets stored in the database (storage credentials) with AES-256-GCM under the
 * server key: a database dump alone does not reveal them. The key is TRAITFORGE_SECRET_KEY
 * (32 bytes as 64 hex characters or base64); without it, a key generated once and kept in the
 * data directory (mode 0600) — fine for one server, while several servers must share the variable.
 */
export class SecretBox {
  /** Its own key for hashing, derived from the server key: one key never serves two algorithms. */
  private readonly hashKey: Buffer;

  private constructor(private readonly key: Buffer) {
    this.hashKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'traitforge keyed hash v1', 32));
  }

  static fromKey(text: string): SecretBox {
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32)
      throw new Error('TRAITFORGE_SECRET_KEY must be 32 bytes: 64 hex characters or base64');
    return new SecretBox(key);
  }

  /** The configured key, or the data directory's own (created on first use). */
  static open(secretKey: string | undefined, dataDir: string): SecretBox {
    if (secretKey) return SecretBox.fromKey(secretKey);
    const file = join(dataDir, 'secret.key');
    if (!existsSync(file)) {
      privateDirectory(dirname(file));
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    }
    return SecretBox.fromKey(readFileSync(file, 'utf8').trim());
  }

  /**
   * HMAC-SHA256 of a secret under the server key, hex: a stored hash that a database dump alone
   * cannot test guesses against. `purpose` keeps hashes made for different uses apart.
   */
  keyedHash(purpose: string, secret: string): string {
    return createHmac('sha256', this.hashKey).update(`${purpose}\0${secret}`, 'utf8').digest('hex');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith(`${VERSION}:`)) throw new Error('not a sealed secret');
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
