/**
 * Resuming a warm from its checkpoint: entries a previous run finished are not run again (not even
 * their queries), the others start where the checkpoint says, and the summary says so.
 */
import type { WarmEventListener } from '../warm/events.js';
import type { WarmSummary } from '../warm/summary.js';
import type { WarmEntry } from '../warm/types.js';
import { orderedByKey, type Checkpoint } from './checkpoint.js';
import { positionCheckpoint, type PositionCheckpoint } from './positions.js';

export interface Resume {
  /** The checkpoint's path, for messages and the summary. */
  path: string;
  /** True when the checkpoint held progress of an earlier run (false: a new file). */
  resumed: boolean;
  /** The entries left to run. */
  entries: WarmEntry[];
  /** Entries the checkpoint has complete: skipped. */
  alreadyDone: string[];
  /** The engine's checkpoint hook. */
  positions: PositionCheckpoint;
  /** Said before the run starts. */
  warnings: string[];
}

export function resumeFrom(checkpoint: Checkpoint, entries: readonly WarmEntry[], path: string, resumed: boolean): Resume {
  const remaining = entries.filter((e) => !checkpoint.isComplete(e.name));
  const alreadyDone = entries.filter((e) => checkpoint.isComplete(e.name)).map((e) => e.name);
  const warnings: string[] = [];
  if (alreadyDone.length > 0) warnings.push(`resuming from ${path}: ${alreadyDone.join(', ')} already done, skipped`);
  for (const e of remaining) {
    if (e.source.kind === 'query' && checkpoint.knows(e.name) && !orderedByKey(e.source.sql)) {
      warnings.push(
        `resuming from ${path}: query entry ${e.name} does not end with ORDER BY key, so a position in it means nothing; it restarts from its first row`,
      );
    }
  }
  const positions = positionCheckpoint(
    checkpoint,
    remaining.map((e) => ({ name: e.name, tier: e.tier, kind: e.source.kind, ...(e.source.kind === 'query' ? { sql: e.source.sql } : {}) })),
  );
  return { path, resumed, entries: remaining, alreadyDone, positions, warnings };
}

/** Failed keys freeze their entry's position; an input that no longer matches the checkpoint is said. */
export function resumeListener(resume: Resume, warn: (message: string) => void): WarmEventListener {
  return (event) => {
    if (event.type === 'keyFailed' && event.kind === 'failed') resume.positions.keyFailed(event.entry);
    if (event.type === 'resumeMismatch') warn(`resuming ${event.entry} from ${resume.path}: ${event.detail}`);
  };
}

/** Says in the summary (text and --json) that the run resumed, from where, and which entries it skipped as done. */
export function markResumed(summary: WarmSummary, resume: Resume): void {
  if (!resume.resumed) return;
  const resumed = { ...summary.resumed };
  for (const name of resume.alreadyDone) resumed[name] = { from: 0, unit: 'line', complete: true };
  summary.resumed = resumed;
  summary.checkpoint = resume.path;
}
