import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  certFile: string;
  keyFile: string;
  /** The certificate's PEM text: the `ca` a client trusts. */
  cert: string;
  remove(): void;
}

/** Whether the `openssl` CLI is there to make certificates (it is in CI and the dev image). */
export const HAS_OPENSSL: boolean = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost (P-256, one day), made in a
 * temp directory at test time: no key material lives in the repository.
 */
export function generateCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'traitforge-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return {
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
