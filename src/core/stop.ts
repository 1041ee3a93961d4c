/**
 * Why a run stops early, in one place: SIGINT, SIGTERM (Kubernetes ending a pod) or the
 * --deadline. The warm checks `stop.signal` before starting each new batch (hottest tiers go
 * first, so a deadline cuts the coldest work), lets in-flight writes finish, then reports
 * what was not done and exits with `stopExitCode`.
 */
import { ExitCode } from '../errors.js';
import { parseDuration } from '../config/duration.js';
import { UsageError } from '../errors.js';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'deadline';

export interface RunStop {
  /** Aborted on the first of: the process signal, the deadline. Its reason is a StopReason. */
  readonly signal: AbortSignal;
  /** Why the run stopped, once it has. */
  reason(): StopReason | undefined;
  /** Epoch ms of the deadline, if any. */
  readonly deadlineAt?: number;
  /** Clears the deadline timer (always call it, in `finally`). */
  dispose(): void;
}

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
  const ms = parseDuration(trimmed, '--deadline');
  if (ms <= 0) throw new UsageError('--deadline: must be longer than 0s');
  return now + ms;
}

/** Combines the process's signal with an optional deadline into one abort signal. */
export function createRunStop(processSignal: AbortSignal, deadlineAt?: number, now = Date.now()): RunStop {
  const controller = new AbortController();
  let stopReason: StopReason | undefined;
  const stop = (reason: StopReason) => {
    if (stopReason) return;
    stopReason = reason;
    controller.abort(reason);
  };
  const onAbort = () => stop(processSignal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  if (processSignal.aborted) onAbort();
  else processSignal.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (deadlineAt !== undefined && !stopReason) {
    const wait = Math.max(0, deadlineAt - now);
    // setTimeout holds at most ~24.8 days; longer deadlines are re-armed.
    const arm = (ms: number) => {
      timer = setTimeout(() => {
        const left = deadlineAt - Date.now();
        if (left > 0) arm(left);
        else stop('deadline');
      }, Math.min(ms, 2_000_000_000));
    };
    arm(wait);
  }
  return {
    signal: controller.signal,
    reason: () => stopReason,
    deadlineAt,
    dispose() {
      if (timer) clearTimeout(timer);
      processSignal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Exit code of a run that stopped early: 130/143 for signals (whatever else happened),
 * 1 for a deadline (work was left undone), else `otherwise`.
 */
export function stopExitCode(reason: StopReason | undefined, otherwise: number): number {
  if (reason === 'SIGINT') return ExitCode.interrupted;
  if (reason === 'SIGTERM') return ExitCode.terminated;
  if (reason === 'deadline') return ExitCode.incomplete;
  return otherwise;
}

/** The summary's line about the stop, e.g. "stopped at the deadline (90s): 3 entries not started". */
export function describeStop(reason: StopReason, notDone: { entries: string[]; keys?: number }): string {
  const why = reason === 'deadline' ? 'stopped at the --deadline' : `stopped by ${reason}`;
  const what = notDone.entries.length > 0 ? `; not done: ${notDone.entries.join(', ')}` : '';
  const keys = notDone.keys !== undefined && notDone.keys > 0 ? ` (${notDone.keys} keys known not written)` : '';
  return `${why}${what}${keys}`;
}
