import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../src/cli/progress.js';

const MB = 1_048_576;

describe('the import progress line', () => {
  it('shows the share read as a bar, records, rows/s and the time left at the rate so far', () => {
    expect(formatProgress({ bytes: 25 * MB, totalBytes: 100 * MB, records: 50_000, elapsedMs: 10_000 })).toBe(
      '[######------------------]  25% 25.0 MB of 100.0 MB, 50000 records, 5000 rows/s, ETA 0:30',
    );
  });

  it('says the ETA is unknown at the start, and counts hours on long imports', () => {
    expect(formatProgress({ bytes: 0, totalBytes: MB, records: 0, elapsedMs: 0 })).toMatch(
      / 0% .* ETA --:--$/,
    );
    expect(formatProgress({ bytes: MB, totalBytes: 1000 * MB, records: 10, elapsedMs: 10_000 })).toMatch(
      /ETA 2:46:30$/,
    );
  });

  it('is full and at 0:00 when done, and never past 100%', () => {
    expect(formatProgress({ bytes: 2 * MB, totalBytes: 2 * MB, records: 9, elapsedMs: 3000 })).toMatch(
      /^\[#{24}\] 100% .* ETA 0:00$/,
    );
    expect(formatProgress({ bytes: 3 * MB, totalBytes: 2 * MB, records: 9, elapsedMs: 3000 })).toMatch(
      / 100% /,
    );
  });
});
