/**
 * `--log-format json`: one JSON object per line on stderr for log shippers (Loki, Elastic,
 * CloudWatch). Every object has `ts` (ISO 8601), `level`, `event` and the event's own fields;
 * strings pass through redact() so a URL with a password never reaches a log pipeline.
 * Results stay on stdout (`--json` summary), so the two never mix.
 */
import { ExitCode, redact } from '../errors.js';
import type { WarmEvent, WarmEventListener } from '../core/warm/events.js';
import type { WarmSummary } from '../core/warm/summary.js';
import type { Writable } from '../io.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The events operators ship. Fields beyond these are allowed (`[field: string]: unknown`). */
export type OpsLogEvent =
  | { event: 'start'; command: string; warmlists?: string[]; topology?: string; shard?: string; lock?: string; resumed?: boolean; [field: string]: unknown }
  | { event: 'entry'; action: 'start' | 'done'; entry: string; [field: string]: unknown }
  | { event: 'progress'; done: number; total?: number; written?: number; failed?: number; keysPerSecond?: number; entry?: string; [field: string]: unknown }
  | { event: 'retry'; what: string; attempt: number; delayMs: number; error: string; node?: string; [field: string]: unknown }
  | { event: 'node-error'; node: string; error: string; keys?: number; [field: string]: unknown }
  | { event: 'failover'; state: 'waiting' | 'over' | 'gaveUp'; node: string; heldKeys: number; waitedMs: number; slots?: string; [field: string]: unknown }
  | { event: 'lock'; action: 'acquired' | 'waiting' | 'renew-failed' | 'reacquired' | 'lost' | 'released'; key: string; node: string; [field: string]: unknown }
  | { event: 'stop'; reason: string; [field: string]: unknown }
  | { event: 'warning'; message: string; [field: string]: unknown }
  | { event: 'summary'; exitCode: number; [field: string]: unknown };

const LEVELS: Record<OpsLogEvent['event'], LogLevel> = {
  start: 'info',
  entry: 'info',
  progress: 'info',
  retry: 'warn',
  'node-error': 'error',
  failover: 'warn',
  lock: 'info',
  stop: 'warn',
  warning: 'warn',
  summary: 'info',
};

export class JsonLogReporter {
  constructor(
    private readonly stream: Writable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  log(event: OpsLogEvent, level?: LogLevel): void {
    const lvl =
      level ??
      (event.event === 'summary' && event.exitCode !== ExitCode.ok
        ? 'warn'
        : event.event === 'lock' && (event.action === 'lost' || event.action === 'renew-failed')
          ? 'warn'
          : LEVELS[event.event]);
    const line = JSON.stringify({ ts: this.now().toISOString(), level: lvl, ...event }, (_k, v: unknown) => scrub(v));
    this.stream.write(line + '\n');
  }
}

/** What a warm's `start` and `summary` lines say beyond the engine's events. */
export interface WarmLogContext {
  names: readonly string[];
  shard?: { index: number; count: number };
  resumed: boolean;
  alreadyDone: readonly string[];
  /** The topology and where it came from. */
  topology?: string;
  exitCode(summary: WarmSummary): number;
}

/** The warm's events as log lines; the ones too many or too fine for a log are left out. */
export function warmLogListener(log: JsonLogReporter, ctx: WarmLogContext): WarmEventListener {
  return (event) => logWarmEvent(log, event, ctx);
}

function logWarmEvent(log: JsonLogReporter, event: WarmEvent, ctx: WarmLogContext): void {
  switch (event.type) {
    case 'start':
      log.log({
        event: 'start',
        command: 'warm',
        warmlists: [...ctx.names],
        ...(ctx.topology !== undefined ? { topology: ctx.topology } : {}),
        entries: event.entries,
        nodes: event.nodes,
        dryRun: event.dryRun,
        ...(ctx.shard ? { shard: `${ctx.shard.index}/${ctx.shard.count}` } : {}),
        resumed: ctx.resumed,
        ...(ctx.alreadyDone.length > 0 ? { alreadyDone: ctx.alreadyDone } : {}),
      });
      return;
    case 'entryStart':
      log.log({
        event: 'entry',
        action: 'start',
        entry: event.entry,
        tier: event.tier,
        ...(event.total !== undefined ? { total: event.total, estimated: event.estimated } : {}),
      });
      return;
    case 'entryDone':
      log.log({ event: 'entry', action: 'done', entry: event.entry });
      return;
    case 'progress':
      log.log({
        event: 'progress',
        done: event.done,
        ...(event.total !== undefined ? { total: event.total } : {}),
        keysPerSecond: event.keysPerSecond,
        elapsedMs: event.elapsedMs,
      });
      return;
    case 'retry':
      log.log({
        event: 'retry',
        what: event.scope,
        attempt: event.attempt,
        delayMs: event.delayMs,
        error: event.reason,
        keys: event.keys,
        ...(event.node ? { node: event.node } : {}),
        ...(event.entry ? { entry: event.entry } : {}),
      });
      return;
    case 'nodeError':
      log.log({ event: 'node-error', node: event.node, error: event.error });
      return;
    case 'stopping':
      log.log({ event: 'stop', reason: event.reason, detail: event.detail });
      return;
    case 'failover':
      log.log({
        event: 'failover',
        state: event.state,
        node: event.node,
        ...(event.slots ? { slots: event.slots } : {}),
        heldKeys: event.heldKeys,
        waitedMs: event.waitedMs,
        error: event.reason,
      });
      return;
    case 'summary': {
      const { samples: _samples, ...summary } = event.summary;
      log.log({ event: 'summary', exitCode: ctx.exitCode(event.summary), ...summary });
      return;
    }
    default:
      // written / skipped / batchFetched / keyFailed / tierDone: too many or too fine for a log line;
      // progress and the summary carry their counts, --failed-keys the failed keys.
      return;
  }
}

/** The run lock's events (acquired, waiting, renewed, lost, released) as `lock` lines. */
export function logLockEvent(log: JsonLogReporter): (event: { action: Extract<OpsLogEvent, { event: 'lock' }>['action']; key: string; node: string }) => void {
  return (event) => log.log({ event: 'lock', ...event });
}

/** The log's last line for a run that ended on an error instead of a summary. */
export function logFailure(log: JsonLogReporter, exitCode: number, error: unknown): void {
  log.log({ event: 'summary', exitCode, error: error instanceof Error ? error.message : String(error) });
}

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return redact(value.message);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
