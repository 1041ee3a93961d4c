/**
 * A Redis without persistence that restarts (or dies) mid-warm loses writes it acknowledged. The
 * journal remembers, per node, the keys written there (up to a bound) and the node's run_id
 * (INFO server) seen before the first write. When the write connection to a node is re-dialled,
 * or at the end of a --verify run, the run_id is read again: a new one means a new process. Its
 * journaled keys are then read back (EXISTS) and the absent ones reported lost, so they are
 * counted as failed and listed, never passed off as written. Nodes whose writes a replica
 * acknowledged (WAIT) are not journaled: a restart there is a failover, and the replica has them.
 */
import type { Redis } from 'ioredis';
import type { CacheNode } from '../../topology/types.js';
import { emptyItems, itemUnits, keyOf, pushItem, type GrowingItems, type Items } from './write-items.js';

export interface NodeJournal {
  runId: string | undefined;
  /** What was written there (keys, values, TTLs), so a lost key can be written again. */
  items: GrowingItems;
  /** Keys written there beyond the bound: counted, not kept. */
  overflow: number;
  /** Entry of each overflowed key count, for the report. */
  overflowEntry: string | undefined;
  /** The write connection's dial count when the run_id was last read. */
  dials: number;
}

export interface LostKeys {
  node: CacheNode;
  items: GrowingItems;
  /** More keys that may be lost and were not journaled (over the bound): counted only. */
  unlisted: number;
  unlistedEntry: string | undefined;
}

export class WriteJournal {
  private readonly nodes = new Map<string, NodeJournal>();
  /** Units of keys, values and their slots journaled, over all nodes (see journalUnits). */
  private units = 0;

  constructor(
    private readonly clientFor: (node: CacheNode) => Redis,
    /** Units (about bytes) of keys, values and their slots journaled over all nodes at most (memory bound). */
    private readonly maxUnits: number,
  ) {}

  /** Before the first write to `node`: its run_id as the baseline. */
  async begin(node: CacheNode, dials: number): Promise<void> {
    if (this.nodes.has(node.address)) return;
    const journal: NodeJournal = { runId: undefined, items: emptyItems(), overflow: 0, overflowEntry: undefined, dials };
    this.nodes.set(node.address, journal);
    journal.runId = await this.runIdOf(node);
  }

  /** The node's journal, looked up once per pipeline; undefined while it is not journaled. */
  of(node: CacheNode): NodeJournal | undefined {
    const journal = this.nodes.get(node.address);
    return journal && journal.runId !== undefined ? journal : undefined;
  }

  /** Item i of `items` was written to the journal's node. */
  record(journal: NodeJournal, items: Items, i: number): void {
    const units = journalUnits(items, i);
    if (this.units + units > this.maxUnits) {
      if (!items.stale[i]) journal.overflow++;
      journal.overflowEntry ??= items.tickets[i]?.entry;
      return;
    }
    pushItem(journal.items, items, i);
    this.units += units;
    const chunk = items.chunks[i];
    // A byte item's row lives in a COPY chunk shared with other rows: the journal keeps a copy of
    // its own bytes, so what it holds is what its bound counts, not whole chunks.
    if (chunk) this.keepBytes(journal.items, journal.items.keys.length - 1, chunk);
  }

  private arena = Buffer.allocUnsafe(0);
  private arenaUsed = 0;

  private keepBytes(items: GrowingItems, j: number, chunk: Buffer): void {
    const s = items.spans;
    const keyAt = s[4 * j] as number;
    // A key-list key is the string keys[j]: only the value is in the chunk.
    const keyLength = Math.max(0, s[4 * j + 1] as number);
    const valueAt = s[4 * j + 2] as number;
    const valueLength = Math.max(0, s[4 * j + 3] as number);
    const need = keyLength + valueLength;
    if (this.arenaUsed + need > this.arena.length) {
      this.arena = Buffer.allocUnsafe(Math.max(need, 256 * 1024));
      this.arenaUsed = 0;
    }
    const at = this.arenaUsed;
    chunk.copy(this.arena, at, keyAt, keyAt + keyLength);
    chunk.copy(this.arena, at + keyLength, valueAt, valueAt + valueLength);
    this.arenaUsed += need;
    items.chunks[j] = this.arena;
    s[4 * j] = at;
    s[4 * j + 2] = at + keyLength;
  }

  /** True when the connection to `node` was re-dialled since the run_id was last read. */
  redialled(node: CacheNode, dials: number): boolean {
    const journal = this.nodes.get(node.address);
    return journal !== undefined && journal.runId !== undefined && journal.dials !== dials;
  }

  /**
   * Reads the run_id again; when it changed, takes the journaled keys (written before now) and
   * returns those the node no longer has. `dials` is the connection's dial count now.
   */
  async check(node: CacheNode, dials?: number): Promise<LostKeys | undefined> {
    const journal = this.nodes.get(node.address);
    if (!journal || journal.runId === undefined) return undefined;
    if (dials !== undefined) journal.dials = dials;
    // Taken before the await: keys written on the new connection meanwhile are journaled afresh.
    const taken = this.take(journal, node);
    const runId = await this.runIdOf(node);
    if (runId === undefined || runId === journal.runId) {
      // Same process (a dropped connection) or cannot tell: keep what it holds on record.
      const later = journal.items;
      journal.items = taken.items;
      for (let i = 0; i < later.keys.length; i++) pushItem(journal.items, later, i);
      this.units += unitsOf(taken.items);
      journal.overflow += taken.unlisted;
      journal.overflowEntry ??= taken.unlistedEntry;
      return undefined;
    }
    journal.runId = runId;
    const absent = await this.absent(
      node,
      taken.items.keys.map((_, i) => keyOf(taken.items, i)),
    );
    const items = emptyItems();
    for (const i of absent) pushItem(items, taken.items, i);
    return { ...taken, items };
  }

  /** Every journaled key of a node given up on (down past --failover-wait): its process is gone. */
  abandon(node: CacheNode): LostKeys | undefined {
    const journal = this.nodes.get(node.address);
    if (!journal || (journal.items.keys.length === 0 && journal.overflow === 0)) return undefined;
    return this.take(journal, node);
  }

  private take(journal: NodeJournal, node: CacheNode): LostKeys {
    const taken = { node, items: journal.items, unlisted: journal.overflow, unlistedEntry: journal.overflowEntry };
    this.units -= unitsOf(journal.items);
    journal.items = emptyItems();
    journal.overflow = 0;
    journal.overflowEntry = undefined;
    return taken;
  }

  /** Nodes journaled, for the final check of --verify. */
  get journaledNodes(): string[] {
    return [...this.nodes.keys()];
  }

  private async runIdOf(node: CacheNode): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const info = String(await this.clientFor(node).info('server'));
        return /^run_id:(\w+)/m.exec(info)?.[1];
      } catch (error) {
        // The read connection may still be reconnecting to a node that just came back.
        const connection = /Connection is closed|ECONNRE|MaxRetriesPerRequest|ETIMEDOUT/.test(error instanceof Error ? error.message : String(error));
        // A proxy without INFO, a node refusing it: no restart detection there.
        if (!connection || attempt >= 4) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** Indexes of `keys` the node does not hold, read in pipelines of 1000 EXISTS. */
  private async absent(node: CacheNode, keys: string[]): Promise<number[]> {
    const out: number[] = [];
    for (let start = 0; start < keys.length; start += 1000) {
      const part = keys.slice(start, start + 1000);
      const p = this.clientFor(node).pipeline();
      for (const key of part) p.exists(key);
      let replies: [Error | null, unknown][];
      try {
        replies = (await p.exec()) ?? [];
      } catch {
        // Unreadable: count them all as lost rather than as written.
        replies = part.map(() => [null, 0]);
      }
      part.forEach((_, i) => {
        const [error, reply] = replies[i] ?? [null, 0];
        if (error || Number(reply) === 0) out.push(start + i);
      });
    }
    return out;
  }
}

/**
 * What a journaled item costs: its key and value, and its slots in the Items columns (17 of
 * 8 bytes, more while an array grows). Counted so the bound is the journal's memory: without
 * the slots a full 8 MB journal held about 14 MiB.
 */
export const ITEM_SLOTS_BYTES = 160;

function journalUnits(items: Items, i: number): number {
  return itemUnits(items, i) + ITEM_SLOTS_BYTES;
}

function unitsOf(items: Items): number {
  let n = 0;
  for (let i = 0; i < items.keys.length; i++) n += journalUnits(items, i);
  return n;
}
