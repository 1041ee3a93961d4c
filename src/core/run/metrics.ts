/**
 * `--metrics-file`: Prometheus text exposition format (version 0.0.4) for node_exporter's
 * textfile collector. One series per warmlist (and shard), labelled `warmlist`, `topology` (what the
 * run wrote to: cluster, redis, ring, twemproxy) and, with --shard, `shard` (`2/8`). Pure: the file
 * side (read previous, atomic write) is adapters/files/metrics-file.ts.
 *
 * Gauges describe the last run; `..._last_success_timestamp_seconds` must survive a failed run,
 * so it is carried over from the previous file (0 when no run ever succeeded, so an alert like
 * `time() - cachectl_warm_last_success_timestamp_seconds > 3600` fires for "never" too).
 * Series of other warmlists (or other shards) found in the previous file are kept, so one file can
 * serve several cron jobs run one after the other. A series is the same series whatever its
 * topology label: a warmlist moved to another topology replaces its series, it does not gain a second.
 */
import { ExitCode } from '../../errors.js';

export interface WarmlistRunMetrics {
  warmlist: string;
  /** The kind of topology the run wrote to (cluster, redis, ring, twemproxy). */
  topology?: string;
  /** `index/count` with --shard. */
  shard?: string;
  written: number;
  failed: number;
  missing: number;
  invalid: number;
  skipped: number;
  /** Keys left untouched by an early stop (0 when not reported). */
  notAttempted?: number;
  durationSeconds: number;
  /** Epoch seconds of the run's end. */
  finishedAt: number;
  /** The run's exit code: 0 is a success. */
  exitCode: number;
}

interface MetricDef {
  name: string;
  help: string;
  value: (m: WarmlistRunMetrics, previousSuccess: number | undefined) => number;
}

const PREFIX = 'cachectl_warm_';

const DEFS: readonly MetricDef[] = [
  { name: 'keys_written', help: 'Keys written by the last run.', value: (m) => m.written },
  { name: 'keys_failed', help: 'Keys the last run could not write (listed in --failed-keys).', value: (m) => m.failed },
  { name: 'keys_missing', help: 'Keys of the last run with no row in PostgreSQL.', value: (m) => m.missing },
  { name: 'keys_invalid', help: 'Keys of the last run rejected as invalid.', value: (m) => m.invalid },
  {
    name: 'keys_not_attempted',
    help: 'Keys of the last run left untouched because it stopped early (listed in --failed-keys for key lists).',
    value: (m) => m.notAttempted ?? 0,
  },
  { name: 'keys_skipped', help: 'Keys the last run left alone (--only-missing, --refresh-below).', value: (m) => m.skipped },
  { name: 'duration_seconds', help: 'Wall-clock duration of the last run.', value: (m) => m.durationSeconds },
  { name: 'last_run_timestamp_seconds', help: 'When the last run finished (Unix time).', value: (m) => m.finishedAt },
  { name: 'last_run_exit_code', help: 'Exit code of the last run (0 ok, 1 incomplete, 75 locked, 130/143 interrupted).', value: (m) => m.exitCode },
  {
    name: 'last_success_timestamp_seconds',
    help: 'When a run last finished with exit code 0 (Unix time; 0 if never).',
    value: (m, prev) => (m.exitCode === ExitCode.ok ? m.finishedAt : (prev ?? 0)),
  },
];

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the samples of a previous file; comments and malformed lines are ignored. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;
    const body = m[3] ?? '';
    let lm: RegExpExecArray | null;
    let consumed = 0;
    while ((lm = labelRe.exec(body)) !== null) {
      labels[lm[1] as string] = unescapeLabel(lm[2] as string);
      consumed = labelRe.lastIndex;
    }
    if (consumed !== body.length) continue;
    const value = Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') continue;
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** Labels in the order they are written; a series is known by all but `topology`. */
const LABELS = ['warmlist', 'topology', 'shard'] as const;

function labelsOf(r: WarmlistRunMetrics): Record<string, string> {
  return { warmlist: r.warmlist, ...(r.topology !== undefined ? { topology: r.topology } : {}), ...(r.shard !== undefined ? { shard: r.shard } : {}) };
}

function seriesId(labels: Record<string, string>): string {
  return JSON.stringify([labels.warmlist, labels.shard ?? '']);
}

/**
 * The whole file's new content. `previous` is the old file's text (or undefined). Series of the
 * warmlists (and shards) in `runs` are replaced; others are kept as they were.
 */
export function renderMetrics(runs: readonly WarmlistRunMetrics[], previous?: string): string {
  const old = previous ? parseSamples(previous).filter((s) => s.labels.warmlist !== undefined) : [];
  const current = new Set(runs.map((r) => seriesId(labelsOf(r))));
  const lastSuccess = new Map<string, number>();
  for (const s of old) {
    if (s.name === `${PREFIX}last_success_timestamp_seconds`) lastSuccess.set(seriesId(s.labels), s.value);
  }
  const lines: string[] = [];
  for (const def of DEFS) {
    const name = PREFIX + def.name;
    lines.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} gauge`);
    const kept = old.filter((s) => s.name === name && !current.has(seriesId(s.labels)));
    const rows: { labels: Record<string, string>; value: number }[] = [
      ...kept.map((s) => ({ labels: s.labels, value: s.value })),
      ...runs.map((r) => ({ labels: labelsOf(r), value: def.value(r, lastSuccess.get(seriesId(labelsOf(r)))) })),
    ].sort((a, b) => compare(a.labels.warmlist, b.labels.warmlist) || compare(a.labels.shard, b.labels.shard));
    for (const row of rows) lines.push(`${name}{${renderLabels(row.labels)}} ${formatValue(row.value)}`);
  }
  return lines.join('\n') + '\n';
}

function renderLabels(labels: Record<string, string>): string {
  const known: readonly string[] = LABELS;
  const names = [
    ...LABELS.filter((l) => labels[l] !== undefined),
    ...Object.keys(labels)
      .filter((l) => !known.includes(l))
      .sort(),
  ];
  return names.map((l) => `${l}="${escapeLabel(labels[l] as string)}"`).join(',');
}

function compare(a = '', b = ''): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}
