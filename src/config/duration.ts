import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a duration may be, in milliseconds, and why the upper bound is where it is. */
export interface DurationRange {
  minMs: number;
  maxMs: number;
  /** Said when a value is above maxMs, e.g. "PostgreSQL's statement_timeout is a 32-bit count of ms". */
  why?: string;
}

/**
 * Node's timers and PostgreSQL's statement_timeout both hold at most 2^31-1 ms (24.8 days): a
 * longer value silently becomes 1 ms in setTimeout. Every duration that drives a timer stays below.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Anything that is not a timer (a TTL, a window compared with TTLs): ten years. */
export const MAX_TTL_MS = 3650 * 86_400_000;

const ANY: DurationRange = { minMs: 0, maxMs: MAX_TTL_MS };

/**
 * The one parser for durations in flags and warmlists: `250ms`, `30s`, `10m`, `1h`, `1d`, or
 * combinations like `1h30m`. A unit is required: a bare number could be seconds (Redis EXPIRE) or
 * milliseconds (PEXPIRE, k6), so only `0` is accepted without one. Returns milliseconds, checked
 * against `range` so a value that would overflow a timer or a Redis argument never gets through.
 */
export function parseDuration(input: string | number, what = 'duration', range: DurationRange = ANY): number {
  const text = String(input).trim();
  let ms: number;
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) {
    if (Number(text) !== 0) throw new UsageError(`${what}: '${text}' needs a unit: ${text}s or ${text}ms (units: ms, s, m, h, d; e.g. 30s, 10m, 1h30m)`);
    ms = 0;
  } else {
    ms = sumOfUnits(text);
    if (Number.isNaN(ms)) throw new UsageError(`${what}: '${clip(text)}' is not a valid duration; use e.g. 500ms, 30s, 10m, 1h or 1h30m`);
  }
  if (ms < range.minMs) {
    throw new UsageError(`${what}: ${clip(text)} is ${ms === 0 ? 'zero' : 'too short'}; use at least ${formatDurationFlag(range.minMs)}`);
  }
  if (ms > range.maxMs) {
    throw new UsageError(`${what}: ${clip(text)} is too long; use at most ${formatDurationFlag(roundDown(range.maxMs))}${range.why ? ` (${range.why})` : ''}`);
  }
  return ms;
}

/** A limit as an operator would write it: 2^31-1 ms is said as 24d (still within the limit). */
function roundDown(ms: number): number {
  for (const size of [86_400_000, 3_600_000, 60_000, 1000]) if (ms >= size) return Math.floor(ms / size) * size;
  return ms;
}

/** Milliseconds of `1h30m`-style text, or NaN when it is not one. */
function sumOfUnits(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length || !Number.isFinite(total)) return Number.NaN;
  // Sub-millisecond values (0.5ms) are kept: the simulator's round trips are that small.
  return total >= 1 ? Math.round(total) : total;
}

/** Hostile input can be megabytes long: an error line quotes only its start. */
export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/**
 * The shortest exact spelling of a duration in flag syntax, for defaults in --help and in
 * error messages: 5000 -> 5s, 90000 -> 1m30s, 100 -> 100ms, 0.5 -> 0.5ms. Parses back to `ms`.
 */
export function formatDurationFlag(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1 || !Number.isInteger(ms)) return `${ms}ms`;
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}

/** Formats milliseconds the way an operator reads them: 850ms, 12.3s, 4m05s, 2h10m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.floor((ms % 60_000) / 1000);
    return `${m}m${String(s).padStart(2, '0')}s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return `${h}h${String(m).padStart(2, '0')}m`;
}

/** Parses `10%` or `0.1` into a fraction in [0, 1). Empty text or a lone `%` is an error, never 0. */
export function parseFraction(input: string, what = 'fraction'): number {
  const text = input.trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(text);
  const value = m ? Number(m[1]) / (m[2] === '%' ? 100 : 1) : Number.NaN;
  if (!(value >= 0 && value < 1)) {
    throw new UsageError(`${what}: '${clip(input)}' must be a percentage below 100%, e.g. 10% (or a fraction such as 0.1)`);
  }
  return value;
}

/**
 * Parses a whole-number flag (digits only: no '', 1e3 or 0x10), naming the flag when it is not
 * one. `max` keeps counts within what the code can hold in an array or a timer.
 */
export function parsePositiveInt(input: string, what: string, { allowZero = false, max = MAX_TIMER_MS } = {}): number {
  const text = input.trim();
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new UsageError(`${what}: '${clip(input)}' must be a whole number${allowZero ? '' : ' above 0'}`);
  }
  if (value > max) throw new UsageError(`${what}: ${text} is too large; use at most ${max}`);
  return value;
}
