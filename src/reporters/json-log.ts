/**
 * `--log-format json`: one JSON object per line on stderr for log shippers (Loki, Elastic,
 * CloudWatch). Every object has `ts` (ISO 8601), `level`, `event` and the event's own fields;
 * strings pass through redact() so a URL with a password never reaches a log pipeline.
 * Results stay on stdout (`--json` summary), so the two never mix.
 */
import { redact } from '../errors.js';
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
    const lvl = level ?? (event.event === 'summary' && event.exitCode !== 0 ? 'warn' : event.event === 'lock' && (event.action === 'lost' || event.action === 'renew-failed') ? 'warn' : LEVELS[event.event]);
    const line = JSON.stringify({ ts: this.now().toISOString(), level: lvl, ...event }, (_k, v: unknown) => scrub(v));
    this.stream.write(line + '\n');
  }
}

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return redact(value.message);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
