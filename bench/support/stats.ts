import { readFileSync, readdirSync } from 'node:fs';

/** Nearest-rank percentile of unsorted samples (ms). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Samples this process's resident set every `everyMs` and keeps the peak. */
export class RssSampler {
  private peakBytes = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 50) {
    this.timer = setInterval(() => {
      this.sample();
    }, everyMs);
    this.timer.unref();
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakBytes) this.peakBytes = rss;
  }

  /** Stops sampling; the peak in MiB. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peakBytes / (1024 * 1024);
  }
}

/** Runs `count` jobs with `concurrency` workers pulling the next index; returns each job's latency (ms). */
export async function runConcurrently(
  count: number,
  concurrency: number,
  job: (index: number) => Promise<void>,
): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      await job(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies, elapsedMs: performance.now() - started };
}

/**
 * Samples the proportional set size (PSS: shared pages split between their users, so a server's
 * shared buffers count once) summed over every process of a command name (`postgres`,
 * `clickhouse-serv`) on this machine, and keeps the peak. Linux only; other users' sessions on
 * the same server count too.
 */
export class ServerMemorySampler {
  private peakKb: number;
  readonly startMb: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly command: string,
    everyMs = 250,
  ) {
    this.peakKb = this.sample();
    this.startMb = this.peakKb / 1024;
    this.timer = setInterval(() => {
      this.peakKb = Math.max(this.peakKb, this.sample());
    }, everyMs);
    this.timer.unref();
  }

  private sample(): number {
    let kb = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== this.command) continue;
        kb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch {
        // the process ended between the listing and the read
      }
    }
    return kb;
  }

  /** Stops sampling; the peak in MiB. */
  stop(): number {
    this.peakKb = Math.max(this.peakKb, this.sample());
    clearInterval(this.timer);
    return this.peakKb / 1024;
  }
}
