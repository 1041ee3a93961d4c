/**
 * A lane's pipelines encoded as their keys arrive, in the order the write batch holds them, rather
 * than when the lane hands a pipeline out. By then the rows' bytes are no longer in the CPU's
 * cache: `perf` put half of the value copies' samples on their first load from the rows (90-141
 * ms over 1M keys by key list), and the bench's bare warm, made to encode one node after another
 * instead of in the rows' order, paid as much (see the README's Performance section).
 *
 * The lane's queue stays the record of what is to be written: what is encoded here covers the
 * queue's first items, pipeline by pipeline, cut where `LaneQueue.take` cuts (pipelineSize items,
 * or fewer when their keys and values pass maxUnits). An item queued without being encoded here
 * (one that needs a PTTL look first, or one back from a retry, redirect or hold) ends the cover
 * until the lane is empty again, and so does an item past the bytes all lanes may hold encoded
 * (AheadBudget: they copy what the lanes hold); a pipeline taken that does not match the first one
 * encoded drops them all, and the writer encodes from the queue as it always did.
 */
import type { WriteBatch } from '../../core/warm/ports.js';
import { RespBuffer, type BufferPool } from './resp-buffer.js';
import { COMMAND_BYTES, encodeBatchWrite, itemUnits, type EncodedWrites } from './write-items.js';

/** A pipeline encoded ahead: its writes, and how many items and units of keys and values it holds so far. */
export interface EncodedPipeline extends EncodedWrites {
  count: number;
  units: number;
}

/** Bytes encoded ahead and not yet taken, over all of a writer's lanes, and the most they may be. */
export interface AheadBudget {
  bytes: number;
  readonly max: number;
}

export class EncodedAhead {
  private readonly ready: EncodedPipeline[] = [];
  private open: EncodedPipeline | undefined;
  /** Whether every item queued since the lane was last empty is encoded here. */
  private covering = true;

  constructor(
    private readonly pipelineSize: number,
    private readonly maxUnits: number,
    private readonly pool: BufferPool,
    private readonly budget: AheadBudget,
  ) {}

  /** Item i of `batch`, just queued on the lane (items come in the queue's order). */
  add(batch: WriteBatch, i: number, mode: number): void {
    if (!this.covering) return;
    if (this.budget.bytes > this.budget.max) {
      this.covering = false;
      return;
    }
    const units = itemUnits(batch, i);
    let open = this.open;
    if (open && (open.count === this.pipelineSize || open.units + units > this.maxUnits)) {
      this.ready.push(open);
      open = undefined;
    }
    if (!open) {
      // A full pipeline of items like this one, within 1 MiB unless the one item is larger.
      const size = Math.min(Math.max(1024 * 1024, units + COMMAND_BYTES), (units + COMMAND_BYTES) * this.pipelineSize);
      open = this.open = {
        p: new RespBuffer(size, this.pool),
        count: 0,
        units: 0,
        ends: new Int32Array(this.pipelineSize),
        bytes: new Int32Array(this.pipelineSize),
      };
    }
    const at = open.count++;
    const before = open.p.size;
    open.bytes[at] = encodeBatchWrite(open.p, batch, i, mode);
    open.ends[at] = open.p.replies - 1;
    open.units += units;
    this.budget.bytes += open.p.size - before;
  }

  /** An item was queued without being encoded here: nothing after it is, until the lane is empty. */
  stopCovering(): void {
    this.covering = false;
  }

  /**
   * The encoding of the `count` items just taken from the head of the lane's queue, or undefined
   * (then nothing encoded here is used). `empty`: the queue holds nothing more.
   */
  takeFor(count: number, empty: boolean): EncodedPipeline | undefined {
    const first = this.ready.length > 0 ? this.ready[0] : this.open;
    let taken: EncodedPipeline | undefined;
    if (first && first.count === count) {
      if (this.ready.length > 0) this.ready.shift();
      else this.open = undefined;
      this.budget.bytes -= first.p.size;
      taken = first;
    } else if (first) this.drop();
    if (empty) {
      // What was encoded covered a prefix of the queue; with the queue empty it covers it all.
      if (this.ready.length > 0 || this.open) this.drop();
      this.covering = true;
    }
    return taken;
  }

  private drop(): void {
    for (const pipeline of this.ready.splice(0)) this.release(pipeline);
    if (this.open) this.release(this.open);
    this.open = undefined;
    this.covering = false;
  }

  private release(pipeline: EncodedPipeline): void {
    this.budget.bytes -= pipeline.p.size;
    pipeline.p.release();
  }
}
