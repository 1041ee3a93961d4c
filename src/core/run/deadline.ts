/**
 * `--deadline`: when a run stops starting new work. The warm engine checks it before each
 * batch (hottest tiers go first, so a deadline cuts the coldest work), lets in-flight writes
 * finish and reports what was not done; the run exits 1. Signals (SIGINT/SIGTERM) reach the
 * engine through io.signal the same way and exit 130/143.
 */
import { parseDuration } from '../../config/duration.js';
import { DURATION_RANGES } from '../../config/defaults.js';
import { UsageError } from '../../errors.js';

/**
 * `--deadline 90s` (a duration from the start of the run) or an absolute time
 * (`2026-11-26T06:00:00Z`), for deploy pipelines with a fixed cut-over. Returns epoch ms.
 */
export function parseDeadline(text: string, now: number): number {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) throw new UsageError(`--deadline: '${text}' is not a valid time; use e.g. 90s, 10m or 2026-11-26T06:00:00Z`);
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed)) throw new UsageError(`--deadline: '${text}' needs a time zone (Z or +01:00) so cron and CI agree on it`);
    if (at <= now) throw new UsageError(`--deadline: ${trimmed} is already past`);
    return at;
  }
  return now + parseDuration(trimmed, '--deadline', DURATION_RANGES.deadline);
}
