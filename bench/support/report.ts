import { median, percentile } from './stats.js';
import type { PhaseFigures } from './process.js';

/** One HTTP (or file) phase against its ceiling phase, over the same `count` records. */
export interface Comparison {
  /** Records (events) per second through the measured path. */
  per_s: number;
  /** Records per second through the ceiling alone. */
  ceiling_per_s: number;
  ratio: number;
  p50_ms: number;
  p99_ms: number;
  peak_rss_mb: number;
  /** The measured process's CPU time per 1000 records, ms: what the work costs. */
  cpu_ms_per_1k: number;
  ceiling_cpu_ms_per_1k: number;
  client_cpu_ms_per_1k: number;
  ceiling_p50_ms: number;
  ceiling_p99_ms: number;
  ceiling_peak_rss_mb: number;
  /** The database server's CPU per 1000 records and peak PSS over each phase (NaN on SQLite). */
  db_cpu_ms_per_1k: number;
  db_peak_mb: number;
  ceiling_db_cpu_ms_per_1k: number;
  ceiling_db_peak_mb: number;
}

export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function compare(count: number, measured: PhaseFigures, ceiling: PhaseFigures): Comparison {
  const rate = count / (measured.elapsedMs / 1000);
  const ceilingRate = count / (ceiling.elapsedMs / 1000);
  const per1k = (ms: number) => round(ms / (count / 1000), 2);
  return {
    per_s: Math.round(rate),
    ceiling_per_s: Math.round(ceilingRate),
    ratio: round(rate / ceilingRate, 3),
    p50_ms: round(percentile(measured.latencies, 50), 1),
    p99_ms: round(percentile(measured.latencies, 99), 1),
    peak_rss_mb: round(measured.peakRssMb, 1),
    cpu_ms_per_1k: per1k(measured.cpuMs),
    ceiling_cpu_ms_per_1k: per1k(ceiling.cpuMs),
    client_cpu_ms_per_1k: per1k(measured.clientCpuMs ?? 0),
    ceiling_p50_ms: round(percentile(ceiling.latencies, 50), 1),
    ceiling_p99_ms: round(percentile(ceiling.latencies, 99), 1),
    ceiling_peak_rss_mb: round(ceiling.peakRssMb, 1),
    db_cpu_ms_per_1k: per1k(measured.server?.cpuMs ?? NaN),
    db_peak_mb: round(measured.server?.peakMb ?? NaN, 1),
    ceiling_db_cpu_ms_per_1k: per1k(ceiling.server?.cpuMs ?? NaN),
    ceiling_db_peak_mb: round(ceiling.server?.peakMb ?? NaN, 1),
  };
}

/** Each figure's median over the runs (the ratio's too, run by run). */
export function medianOf<T extends object>(runs: readonly T[]): T {
  const keys = Object.keys(runs[0]!) as (keyof T)[];
  return Object.fromEntries(
    keys.map((k) => [k, median(runs.map((r) => r[k] as unknown as number))]),
  ) as unknown as T;
}

/** `medianOf`, member by member, for figures keyed by case (batch size, file format…). */
export function medianByCase<T extends Record<string, object>>(runs: readonly T[]): T {
  return Object.fromEntries(
    Object.keys(runs[0]!).map((name) => [name, medianOf(runs.map((r) => r[name]!))]),
  ) as T;
}

/** A plain-text table: a title line, a header row, then one row a label; numbers right-aligned. */
export function textTable<T>(
  title: string,
  columns: readonly { head: string; figures: T }[],
  rows: readonly (readonly [label: string, cell: (f: T) => string])[],
): string {
  const head = ['', ...columns.map((c) => c.head)];
  const body = rows.map(([label, cell]) => [label, ...columns.map((c) => cell(c.figures))]);
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [title, line(head), ...body.map(line)].join('\n');
}

/** The rows every HTTP-against-ceiling table shows; `unit` is "events" or "records". */
export function comparisonRows(
  unit: string,
  ceilingName: string,
): (readonly [string, (f: Comparison) => string])[] {
  return [
    [`HTTP ${unit}/s`, (f) => f.per_s.toLocaleString('en-US')],
    [`ceiling ${unit}/s (${ceilingName} only)`, (f) => f.ceiling_per_s.toLocaleString('en-US')],
    ['ratio HTTP / ceiling', (f) => f.ratio.toFixed(2)],
    ['HTTP p50 latency ms', (f) => f.p50_ms.toFixed(1)],
    ['HTTP p99 latency ms', (f) => f.p99_ms.toFixed(1)],
    ['HTTP server peak RSS MB', (f) => f.peak_rss_mb.toFixed(1)],
    [`HTTP server CPU ms / 1000 ${unit}`, (f) => f.cpu_ms_per_1k.toFixed(1)],
    [`ceiling CPU ms / 1000 ${unit}`, (f) => f.ceiling_cpu_ms_per_1k.toFixed(1)],
    [`load generator CPU ms / 1000 ${unit}`, (f) => f.client_cpu_ms_per_1k.toFixed(1)],
    ['ceiling p50 latency ms', (f) => f.ceiling_p50_ms.toFixed(1)],
    ['ceiling p99 latency ms', (f) => f.ceiling_p99_ms.toFixed(1)],
    ['ceiling peak RSS MB', (f) => f.ceiling_peak_rss_mb.toFixed(1)],
  ];
}

/** The database server's rows (PostgreSQL, ClickHouse): '–' where it is not a server (SQLite). */
export function serverRows(unit: string): (readonly [string, (f: Comparison) => string])[] {
  const figure = (n: number, digits: number) => (Number.isNaN(n) ? '–' : n.toFixed(digits));
  return [
    [`DB server CPU ms / 1000 ${unit}, HTTP`, (f) => figure(f.db_cpu_ms_per_1k, 1)],
    [`DB server CPU ms / 1000 ${unit}, ceiling`, (f) => figure(f.ceiling_db_cpu_ms_per_1k, 1)],
    ['DB server peak PSS MB, HTTP', (f) => figure(f.db_peak_mb, 0)],
    ['DB server peak PSS MB, ceiling', (f) => figure(f.ceiling_db_peak_mb, 0)],
  ];
}

/** The documented `--json` figures of one HTTP-against-ceiling comparison. */
export function comparisonJson(unit: string, f: Comparison) {
  return {
    [`http_${unit}_per_s`]: f.per_s,
    [`ceiling_${unit}_per_s`]: f.ceiling_per_s,
    ratio: f.ratio,
    p50_ms: f.p50_ms,
    p99_ms: f.p99_ms,
    peak_rss_mb: f.peak_rss_mb,
  };
}
