/**
 * The checkpoint as the warm engine sees it (its CheckpointHook): positions are key-file lines or
 * query rows, advanced in input order once every key before them is settled.
 */
import type { Checkpoint } from './checkpoint.js';
import type { ResumeMark, ResumePoint } from '../warm/types.js';

/** Structurally the warm engine's CheckpointHook, plus what it needs to hear of failed keys. */
export interface PositionCheckpoint {
  resumeFrom(entry: string): ResumePoint;
  advance(entry: string, position: number, mark?: ResumeMark): void;
  entryDone(entry: string): void;
  restart(entry: string): void;
  /** Feed every failed key (kind 'failed', not missing/invalid) here: see below. */
  keyFailed(entry: string): void;
}

/**
 * Adapts the checkpoint to a position-based engine. The engine advances an entry's position in
 * input order once every key before it is settled, and a settled key may have *failed* (node down,
 * OOM). Those must be retried on resume, but the engine does not say at which position a key
 * failed, so the first failure freezes the entry's position where it was: a resumed run redoes
 * everything after it (rewriting a key is harmless) and never skips a failed key.
 * Key lists resume only with the fingerprint of the lines before the position (checked as they are
 * read again); queries ordered by key resume at their last key; unordered queries from their first
 * row (a position in an unordered result means nothing).
 */
export function positionCheckpoint(
  checkpoint: Checkpoint,
  entries: readonly { name: string; tier: number; kind: 'keys' | 'query'; sql?: string }[],
): PositionCheckpoint {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const frozen = new Set<string>();
  const position = new Map<string, number>();
  return {
    resumeFrom(entry) {
      const e = byName.get(entry);
      if (!e) return { position: 0 };
      if (checkpoint.isComplete(entry)) return { position: Number.MAX_SAFE_INTEGER };
      let start: ResumePoint = { position: 0 };
      if (e.kind === 'keys') {
        const proof = checkpoint.prefixProof(entry);
        if (proof) start = { position: proof.lines, proof };
      } else {
        const last = checkpoint.lastKey(entry, e.sql ?? '');
        if (last) start = { position: checkpoint.rowsDone(entry, e.sql ?? ''), afterKey: last.key, rowsBefore: last.rowsBefore };
      }
      position.set(entry, start.position);
      return start;
    },
    advance(entry, pos, mark) {
      const e = byName.get(entry);
      if (!e || frozen.has(entry)) return;
      if (pos <= (position.get(entry) ?? 0)) return;
      if (e.kind === 'keys') {
        checkpoint.markLines(entry, 1, pos, [], e.tier);
        if (mark?.kind === 'lines') checkpoint.markPrefix(entry, mark.mark, e.tier);
      } else checkpoint.markRows(entry, e.sql ?? '', pos, e.tier, mark?.kind === 'key' ? { key: mark.key, rowsBefore: mark.rowsBefore } : undefined);
      position.set(entry, pos);
    },
    entryDone(entry) {
      if (!frozen.has(entry)) checkpoint.markComplete(entry);
    },
    restart(entry) {
      checkpoint.resetEntry(entry);
      position.set(entry, 0);
    },
    keyFailed(entry) {
      frozen.add(entry);
    },
  };
}
