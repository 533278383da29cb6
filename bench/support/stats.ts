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
 * this machine: their summed proportional set size (PSS: shared pages split between their users,
 * so a server's shared buffers count once), keeping the peak, and their CPU time. Linux only;
 * what other sessions on the same servers do counts too.
 */
export class ServerSampler {
  private peakKb: number;
  readonly startMb: number;
  private readonly startTicks: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly command: string,
    everyMs = 250,
  ) {
    this.startTicks = this.read().ticks;
    this.peakKb = this.read().pssKb;
    this.startMb = this.peakKb / 1024;
    this.timer = setInterval(() => {
      this.peakKb = Math.max(this.peakKb, this.read().pssKb);
    }, everyMs);
    this.timer.unref();
  }

  private read(): { pssKb: number; ticks: number } {
    let pssKb = 0;
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== this.command) continue;
        pssKb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
        // utime and stime, fields 14 and 15 of stat, counted after the command's closing parenthesis.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // the process ended between the listing and the read
      }
    }
    return { pssKb, ticks };
  }

  /** Stops sampling: the peak PSS in MiB and the CPU time spent since the start, ms. */
  stop(): { peakMb: number; cpuMs: number } {
    const now = this.read();
    this.peakKb = Math.max(this.peakKb, now.pssKb);
    clearInterval(this.timer);
    // Linux counts CPU time in ticks of 1/100 s (USER_HZ) for every process.
    return { peakMb: this.peakKb / 1024, cpuMs: (now.ticks - this.startTicks) * 10 };
  }
}
