import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/tenancy/secret-box.js';

describe('SecretBox (credentials at rest)', () => {
  const key = 'a'.repeat(64);

  it('seals to text that hides the secret, and opens it again', () => {
    const box = SecretBox.fromKey(key);
    const sealed = box.seal('{"secret_access_key":"hunter2"}');
    expect(sealed).not.toContain('hunter2');
    expect(box.seal('same')).not.toBe(box.seal('same')); // a fresh IV each time
    expect(box.open(sealed)).toBe('{"secret_access_key":"hunter2"}');
  });

  it('refuses a tampered secret and another key', () => {
    const sealed = SecretBox.fromKey(key).seal('secret');
    const tampered = `${sealed.slice(0, -4)}AAA=`;
    expect(() => SecretBox.fromKey(key).open(tampered)).toThrow();
    expect(() => SecretBox.fromKey('b'.repeat(64)).open(sealed)).toThrow();
    expect(() => SecretBox.fromKey('short')).toThrow(/32 bytes/);
  });

  it('without a configured key, keeps one in the data directory, readable by the owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traitforge-secret-'));
    try {
      const sealed = SecretBox.open(undefined, dir).seal('x');
      expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
      expect(SecretBox.open(undefined, dir).open(sealed)).toBe('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
