/**
 * Typed events a warm emits. Reporters render them (progress bar, plain lines, JSON logs);
 * run control (the checkpoint's failure tracking) and --log-format json subscribe to the same stream.
 */
import type { FailureKind } from './types.js';
import type { WarmSummary } from './summary.js';
import type { FailoverInfo } from './ports.js';

export type WarmEvent =
  | { type: 'start'; entries: { name: string; tier: number; kind: 'keys' | 'query' }[]; dryRun: boolean; nodes: string[] }
  | { type: 'entryStart'; entry: string; tier: number; total?: number; estimated: boolean }
  | { type: 'batchFetched'; entry: string; keys: number; rows: number; ms: number }
  | { type: 'written'; node: string; keys: number; bytes: number }
  | { type: 'skipped'; entry: string; keys: number }
  /** `rendered`: the key is a printable rendering of bytes that are not a key (invalid UTF-8), not the key itself. */
  | { type: 'keyFailed'; entry: string; key: string; kind: FailureKind; reason: string; line?: number; rendered?: boolean }
  /** A resumed entry's input is not what its checkpoint recorded: nothing from `line` (1: the start) on is skipped. */
  | { type: 'resumeMismatch'; entry: string; line: number; detail: string }
  | { type: 'retry'; scope: 'redis' | 'postgres'; node?: string; entry?: string; attempt: number; delayMs: number; reason: string; keys: number }
  | { type: 'nodeError'; node: string; error: string }
  | ({ type: 'failover' } & FailoverInfo)
  | { type: 'progress'; done: number; total?: number; keysPerSecond: number; elapsedMs: number }
  | { type: 'entryDone'; entry: string }
  | { type: 'tierDone'; tier: number }
  | { type: 'stopping'; reason: StopReason; detail: string }
  | { type: 'summary'; summary: WarmSummary };

export type StopReason = 'signal' | 'deadline' | 'errors' | 'memory' | 'input';

export type WarmEventListener = (event: WarmEvent) => void;
