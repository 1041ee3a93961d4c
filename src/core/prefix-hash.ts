/**
 * A fingerprint of what a key list held up to a line, so a resumed run skips lines only when they
 * are the lines the checkpointed run read (a stdin cannot be fingerprinted up front, and a file can
 * change without its size or mtime changing).
 *
 * The lines are hashed in blocks of `blockLines`: a resumed run holds at most one block of lines
 * while it checks them, and drops a block only once its hash matches. At the first block that
 * differs (or a stream that ends early) it stops skipping and warms every line it holds and reads,
 * so a line that does not match is never skipped and memory stays bounded however long the prefix.
 */
import { createHash, type Hash } from 'node:crypto';

export const PREFIX_BLOCK_LINES = 10_000;

/** What a checkpoint stores: hashes of lines 1..lines, block by block, the last block partial. */
export interface PrefixProof {
  lines: number;
  blockLines: number;
  /** Hash of each complete block of `blockLines` lines. */
  blocks: string[];
  /** Hash of the lines after the last complete block, up to `lines` ('' when there are none). */
  tail: string;
}

/** A proof taken at one line, cheap to take per batch: the blocks are copied only when serialized. */
export class PrefixMark {
  constructor(
    readonly lines: number,
    private readonly blockLines: number,
    private readonly allBlocks: readonly string[],
    private readonly blockCount: number,
    private readonly tail: string,
  ) {}

  proof(): PrefixProof {
    return { lines: this.lines, blockLines: this.blockLines, blocks: this.allBlocks.slice(0, this.blockCount), tail: this.tail };
  }
}

const digest = (h: Hash): string => h.digest('hex').slice(0, 32);

/**
 * Hashes lines as raw bytes, in order. `add` takes one or more whole lines (each with its line
 * end): callers hand over byte ranges spanning many lines at once, and mark block ends themselves
 * through `endLine`.
 */
export class PrefixHasher {
  private hash = createHash('sha256');
  private readonly blocks: string[] = [];
  private line = 0;
  private blockHasBytes = false;

  constructor(readonly blockLines = PREFIX_BLOCK_LINES) {}

  /** Bytes of the current block (lines not yet ended with `endLine`). */
  add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.hash.update(bytes);
    this.blockHasBytes = true;
  }

  /** One more line ends here; returns the hash of the block it completed, if it completed one. */
  endLine(): string | undefined {
    this.line++;
    if (this.line % this.blockLines !== 0) return undefined;
    const h = digest(this.hash);
    this.blocks.push(h);
    this.hash = createHash('sha256');
    this.blockHasBytes = false;
    return h;
  }

  get lines(): number {
    return this.line;
  }

  /** Hash of the lines since the last complete block ('' when there are none). */
  tail(): string {
    return this.line % this.blockLines === 0 && !this.blockHasBytes ? '' : digest(this.hash.copy());
  }

  mark(): PrefixMark {
    return new PrefixMark(this.line, this.blockLines, this.blocks, this.blocks.length, this.tail());
  }
}

export function isPrefixProof(v: unknown): v is PrefixProof {
  const p = v as Partial<PrefixProof> | null;
  return (
    !!p &&
    typeof p === 'object' &&
    Number.isInteger(p.lines) &&
    Number.isInteger(p.blockLines) &&
    (p.blockLines as number) > 0 &&
    Array.isArray(p.blocks) &&
    p.blocks.every((b) => typeof b === 'string') &&
    p.blocks.length === Math.floor((p.lines as number) / (p.blockLines as number)) &&
    typeof p.tail === 'string'
  );
}
