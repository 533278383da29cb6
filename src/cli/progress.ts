export interface ProgressState {
  /** Bytes read so far and in all (as stored: a .gz file counts its compressed size). */
  bytes: number;
  totalBytes: number;
  records: number;
  elapsedMs: number;
}

const BAR = 24;

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/**
 * One progress line: a bar by bytes read, records and rows/s, and the time left at the rate
 * so far ("ETA --:--" until a rate is known).
 */
export function formatProgress(p: ProgressState): string {
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
  const filled = Math.round(fraction * BAR);
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.records / seconds) : 0;
  const eta =
    p.bytes > 0 && seconds > 0.5 ? duration(((p.totalBytes - p.bytes) * seconds) / p.bytes) : '--:--';
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
    `${megabytes(p.bytes)} of ${megabytes(p.totalBytes)}, ${p.records} records, ${rate} rows/s, ETA ${eta}`
  );
}

/** A progress line redrawn on stderr at most 5 times a second when stderr is a terminal. */
export function progressLine(totalBytes: number): {
  update(bytes: number, records: number): void;
  done(): void;
} {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  let drawn = 0;
  let shown = false;
  return {
    update(bytes, records) {
      const now = Date.now();
      if (now - drawn < 200) return;
      drawn = now;
      process.stderr.write(
        `\r\u001b[K${formatProgress({ bytes, totalBytes, records, elapsedMs: now - started })}`,
      );
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K');
    },
  };
}
