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
    ['target', 'measured', 'goal', 'met', 'how'],
    targets.map((t) => [t.figure, formatNumber(Number(t.measured.toPrecision(3))), t.target, t.met ? 'yes' : 'NO', t.how]),
  );
  return `${header}\n\n${measurements}\n\n${ratios}\n`;
}

/** Where one warm's CPU went, per key, and the rate the machine's cores allow at that cost. */
export interface CpuBudget {
  run: string;
  keysPerSecond: number;
  cachectlUs: number;
  redisUs: number;
  /** Machine busy time less cachectl and Redis: PostgreSQL, and whatever else runs. */
  otherUs: number;
  /** Busy share of all cores during the run. */
  machineBusy: number;
  /** cores / (total CPU per key): the best rate the machine allows at this cost. */
  cpuBoundRate: number;
}

export function renderCpuBudgets(budgets: CpuBudget[]): string {
  return formatTable(
    ['CPU per key (us)', 'cachectl', 'Redis', 'PostgreSQL + rest', 'machine busy', 'cores allow keys/s', 'achieved'],
    budgets.map((b) => [
      b.run,
      b.cachectlUs.toFixed(2),
      b.redisUs.toFixed(2),
      b.otherUs.toFixed(2),
      `${Math.round(b.machineBusy * 100)}%`,
      Math.round(b.cpuBoundRate),
      b.cpuBoundRate > 0 ? `${Math.round((b.keysPerSecond / b.cpuBoundRate) * 100)}%` : '',
    ]),
  ) + '\n';
}
