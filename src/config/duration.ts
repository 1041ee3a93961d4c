import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The one parser for durations in flags and warmlists: `250ms`, `30s`, `10m`, `1h`, `1d`,
 * combinations like `1h30m`, or a bare number of seconds. Returns milliseconds.
 */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new UsageError(`${what}: ${input} is not a valid duration; use e.g. 30s, 10m, 1h`);
    return Math.round(input * 1000);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new UsageError(`${what}: '${input}' is not a valid duration; use e.g. 500ms, 30s, 10m, 1h or 1h30m`);
  }
  return Math.round(total);
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

/** Parses `10%` or `0.1` into a fraction in [0, 1). */
export function parseFraction(input: string, what = 'fraction'): number {
  const text = input.trim();
  const value = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new UsageError(`${what}: '${input}' must be a percentage below 100%, e.g. 10%`);
  }
  return value;
}

/** Parses a positive integer flag, naming the flag when it is not one. */
export function parsePositiveInt(input: string, what: string, { allowZero = false } = {}): number {
  const value = Number(input);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new UsageError(`${what}: '${input}' must be a whole number${allowZero ? '' : ' above 0'}`);
  }
  return value;
}
