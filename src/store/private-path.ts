import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/**
 * The data directory holds the database (uploads included) and the server key: only the
 * server's user may read it, whatever the process umask. Directories are 0700, files 0600.
 * Existing ones are tightened too, so upgrading an older installation closes them.
 */
export function privateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/**
 * Creates the file empty (0600) unless it exists, and makes it 0600. SQLite gives its -wal and
 * -shm files the database file's mode, so making the database private makes them private too;
 * existing ones are tightened here as well.
 */
export function privateFile(path: string, companions: readonly string[] = []): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, ...companions]) if (existsSync(file)) chmodSync(file, 0o600);
}
