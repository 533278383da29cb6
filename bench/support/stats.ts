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
