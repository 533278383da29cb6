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
 * Samples the database server processes of a command name (`postgres`, `clickhouse-serv`) on
 * this machine, those whose command line holds `only` when given (a PostgreSQL backend names its
 * database there): their summed proportional set size (PSS: shared pages split between their
 * users, so shared buffers count once), keeping the peak, and their CPU time, process by process
 * (a backend that ends keeps what it spent until the last sample). Linux only; a ClickHouse
 * server's figures include what other sessions on it do.
 */
export class ServerSampler {
  private peakKb = 0;
  /** Per process: its CPU ticks when first seen (0 when it started after us) and at the last sample. */
  private readonly ticks = new Map<string, { first: number; last: number }>();
  private readonly timer: NodeJS.Timeout;
  private started = false;
  readonly startMb: number;

  constructor(
    private readonly command: string,
    private readonly only?: string,
    everyMs = 1000,
  ) {
    this.sample();
    this.started = true;
    this.startMb = this.peakKb / 1024;
    this.timer = setInterval(() => {
      this.sample();
    }, everyMs);
    this.timer.unref();
  }

  private sample(): void {
    let pssKb = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== this.command) continue;
        if (this.only && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.only)) continue;
        // utime and stime: fields 14 and 15 of stat, the 12th and 13th after the command's ")".
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        const now = Number(fields[11]) + Number(fields[12]);
        const seen = this.ticks.get(pid);
        if (seen) seen.last = now;
        else this.ticks.set(pid, { first: this.started ? 0 : now, last: now });
        pssKb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch {
        // the process ended between the listing and the read
      }
    }
    this.peakKb = Math.max(this.peakKb, pssKb);
  }

  /** Stops sampling: the peak PSS in MiB and the CPU time spent since the start, ms. */
  stop(): { peakMb: number; cpuMs: number } {
    this.sample();
    clearInterval(this.timer);
    let ticks = 0;
    for (const { first, last } of this.ticks.values()) ticks += last - first;
    // Linux counts CPU time in ticks of 1/100 s (USER_HZ) for every process.
    return { peakMb: this.peakKb / 1024, cpuMs: ticks * 10 };
  }
}
