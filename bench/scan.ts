/**
 * The scan bench (issue 13): behavioural features over a big history. For each backend
 * (PostgreSQL, ClickHouse), a fresh database holds `players` players and `events` events loaded
 * in bulk (scan-phase.ts); then one `EventStore.playerAggregates` of the scope, the read the
 * persona recompute makes, is timed: wall time, events scanned per second, the reader's peak RSS
 * and the database server's peak PSS, with the machine's load averages beside them.
 */
import type { ScanDone, ScanMessage, ScanSpec } from './scan-phase.js';
import { withBenchDatabase, type BenchBackend } from './support/database.js';
import { drivePhase, startPhase } from './support/process.js';
import { round, textTable } from './support/report.js';

export interface ScanOptions {
  players: number;
  events: number;
}

export interface ScanFigures {
  players: number;
  events: number;
  load_s: number;
  load_events_per_s: number;
  read_s: number;
  read_events_per_s: number;
  read_cpu_s: number;
  node_peak_rss_mb: number;
  server_start_mb: number;
  server_peak_mb: number;
  server_cpu_s: number;
  bytes_per_event: number;
  parts: number | null;
  loadavg_start: string;
  loadavg_end: string;
}

const averages = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');

function figures(done: ScanDone): ScanFigures {
  const readS = done.read_ms / 1000;
  return {
    players: done.players,
    events: done.events,
    load_s: round(done.load_s, 1),
    load_events_per_s: Math.round(done.events / done.load_s),
    read_s: round(readS, 1),
    read_events_per_s: Math.round(done.events / readS),
    read_cpu_s: round(done.read_cpu_ms / 1000, 1),
    node_peak_rss_mb: round(done.node_peak_rss_mb, 1),
    server_start_mb: round(done.server_start_mb, 1),
    server_peak_mb: round(done.server_peak_mb, 1),
    server_cpu_s: round(done.server_cpu_ms / 1000, 1),
    bytes_per_event: round(done.bytes_on_disk / done.events, 1),
    parts: done.parts ?? null,
    loadavg_start: averages(done.loadavg_start),
    loadavg_end: averages(done.loadavg_end),
  };
}

/** One scan run on a fresh database of `backend` (postgres or clickhouse), dropped afterwards. */
export function runScanBackend(
  backend: BenchBackend,
  options: ScanOptions,
  adminUrl: string | undefined,
): Promise<ScanFigures> {
  return withBenchDatabase(backend, adminUrl, async (database) => {
    const spec: ScanSpec = { phase: 'scan', database, ...options };
    const phase = startPhase<ScanMessage>('scan-phase.js', `scan ${backend}`, spec);
    return figures((await drivePhase(phase, (p) => p.next())) as ScanDone);
  });
}

const n = (x: number) => x.toLocaleString('en-US');

export function scanTable(results: Partial<Record<BenchBackend, ScanFigures>>, options: ScanOptions): string {
  return textTable(
    `Scan: behavioural features (EventStore.playerAggregates) of ${n(options.players)} players over ${n(options.events)} events`,
    Object.entries(results).map(([head, figures]) => ({ head, figures })),
    [
      ['bulk load s (events/s)', (f) => `${f.load_s.toFixed(1)} (${n(f.load_events_per_s)})`],
      ['read wall s', (f) => f.read_s.toFixed(1)],
      ['events scanned / s', (f) => n(f.read_events_per_s)],
      ['reader CPU s', (f) => f.read_cpu_s.toFixed(1)],
      ['database server CPU s', (f) => f.server_cpu_s.toFixed(1)],
      ['reader (Node) peak RSS MB', (f) => f.node_peak_rss_mb.toFixed(1)],
      [
        'server PSS MB before → peak',
        (f) => `${f.server_start_mb.toFixed(0)} → ${f.server_peak_mb.toFixed(0)}`,
      ],
      ['bytes on disk / event', (f) => f.bytes_per_event.toFixed(1)],
      ['event table parts (ClickHouse)', (f) => (f.parts === null ? '–' : String(f.parts))],
      ['load average at start', (f) => f.loadavg_start],
      ['load average at end', (f) => f.loadavg_end],
    ],
  );
}
