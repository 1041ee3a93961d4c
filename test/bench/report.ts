/** The benchmark's one table (and its JSON): measurements, then the ratios issue 7 targets. */
import { formatBytes, formatNumber, formatTable } from '../../src/reporters/style.js';

export interface Row {
  name: string;
  keys: number;
  seconds: number;
  perSecond: number;
  peakRss?: number;
  cpuSeconds?: number;
  note?: string;
}

export interface Target {
  figure: string;
  measured: number;
  /** e.g. '>= 0.5' */
  target: string;
  met: boolean;
  /** How the figure is computed, for the reader. */
  how: string;
  /**
   * The same figure for the bench's bare warm (bare-warm.ts, bare-keylist.ts: cachectl's decoder
   * and encoder without its engine and writer), measured in the same run: what any warm in node
   * reaches on this machine. A goal the floor misses too is out of reach here.
   */
  floor?: number;
}

/** 1M, 250k: a run's size as its label. */
export function formatCount(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

export function renderTables(rows: Row[], targets: Target[], header: string): string {
  const measurements = formatTable(
    ['measurement', 'keys', 'seconds', 'keys/s', 'peak RSS', 'CPU s', 'note'],
    rows.map((r) => [
      r.name,
      r.keys,
      r.seconds.toFixed(2),
      Math.round(r.perSecond),
      r.peakRss !== undefined ? formatBytes(r.peakRss) : '',
      r.cpuSeconds !== undefined ? r.cpuSeconds.toFixed(2) : '',
      r.note ?? '',
    ]),
  );
  const ratios = formatTable(
    ['target', 'measured', 'goal', 'met', 'bare floor', 'how'],
    targets.map((t) => [t.figure, formatNumber(Number(t.measured.toPrecision(3))), t.target, t.met ? 'yes' : 'NO', floorCell(t), t.how]),
  );
  return `${header}\n\n${measurements}\n\n${ratios}\n`;
}

function floorCell(t: Target): string {
  return t.floor === undefined ? '' : String(Number(t.floor.toPrecision(3)));
}

/** Where one warm's CPU went, per key, and the rate the machine's cores allow at that cost. */
export interface CpuBudget {
  run: string;
  /** Keys the run wrote (for a marginal row: the keys between its two runs). */
  keys: number;
  keysPerSecond: number;
  cachectlUs: number;
  /** Of cachectlUs, its helper threads (V8's TurboFan and GC helpers): mostly a fixed cost per run. */
  helpersUs?: number;
  redisUs: number;
  /** The database's own backends (sampled from /proc). */
  postgresUs: number;
  /** Machine busy time less cachectl, Redis and those backends: other sessions on a shared machine. */
  otherUs: number;
  /** Busy share of all cores during the run. */
  machineBusy: number;
  /** cores / (total CPU per key): the best rate the machine allows at this cost. */
  cpuBoundRate: number;
}

const BUDGET_HEADER = [
  'CPU per key (us)',
  'cachectl',
  'of it, helper threads',
  'Redis',
  'PostgreSQL',
  'rest of machine',
  'cachectl / Redis',
  'machine busy',
  'cores allow keys/s',
  'achieved',
];

function budgetCells(b: CpuBudget): string[] {
  return [
    b.run,
    b.cachectlUs.toFixed(2),
    b.helpersUs !== undefined ? b.helpersUs.toFixed(2) : '',
    b.redisUs.toFixed(2),
    b.postgresUs.toFixed(2),
    b.otherUs.toFixed(2),
    b.redisUs > 0 ? (b.cachectlUs / b.redisUs).toFixed(2) : '',
    `${Math.round(b.machineBusy * 100)}%`,
    Math.round(b.cpuBoundRate).toLocaleString('en-US'),
    b.cpuBoundRate > 0 ? `${Math.round((b.keysPerSecond / b.cpuBoundRate) * 100)}%` : '',
  ];
}

export function renderCpuBudgets(budgets: CpuBudget[]): string {
  return formatTable(BUDGET_HEADER, budgets.map(budgetCells)) + '\n';
}

/** A GitHub markdown table (numbers right-aligned), as the README's Performance section has them. */
function markdownTable(header: string[], rows: string[][]): string {
  const numeric = header.map((_, c) => c > 0 && rows.every((r) => /^[-\d.,% x]*$/.test(r[c] ?? '')));
  const line = (cells: string[]) => `| ${cells.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `| ${header.map((_, c) => (numeric[c] ? '---:' : '---')).join(' | ')} |`, ...rows.map(line)].join('\n') + '\n';
}

/** The same three tables in README-ready markdown. */
export function renderMarkdown(rows: Row[], targets: Target[], budgets: CpuBudget[]): string {
  const measurements = markdownTable(
    ['measurement', 'keys/s', 'peak RSS', 'CPU s', 'note'],
    rows.map((r) => [
      r.name,
      Math.round(r.perSecond).toLocaleString('en-US'),
      r.peakRss !== undefined ? formatBytes(r.peakRss) : '',
      r.cpuSeconds !== undefined ? r.cpuSeconds.toFixed(2) : '',
      r.note ?? '',
    ]),
  );
  const goals = markdownTable(
    ['target', 'measured', 'goal', 'met', 'bare floor'],
    targets.map((t) => [
      t.figure,
      String(Number(t.measured.toPrecision(3))),
      t.target.replace(/>=/g, '≥').replace(/<=/g, '≤'),
      t.met ? 'yes' : 'no',
      floorCell(t),
    ]),
  );
  const cpu = budgets.length > 0 ? markdownTable(BUDGET_HEADER, budgets.map(budgetCells)) : '';
  return [measurements, goals, cpu].filter(Boolean).join('\n');
}
