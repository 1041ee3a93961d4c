/**
 * A node that stops answering is waited for, not failed: connection refused or reset, timeouts,
 * CLUSTERDOWN, TRYAGAIN, LOADING, READONLY. Its keys are held (counted against the writer's
 * memory bound, so the reader is slowed, not queued without end) and offered again with backoff,
 * after a fresh read of the slot map on a cluster, until they land (on the node, back from a
 * restart, or on the replica that took over its slots) or `--failover-wait` runs out. Then they
 * fail with a reason naming the slots, the node and the wait, and the next keys of that node
 * fail after one attempt. These failures do not spend --max-errors: a down node is not a sign
 * that the warm harms the database or the cache.
 */
import { formatDuration } from '../../config/duration.js';
import { SLOT_COUNT } from '../../topology/cluster.js';
import type { CacheNode, Topology } from '../../topology/types.js';
import type { WriteReport } from '../../core/warm/ports.js';
import { emptyItems, pushItem, type GrowingItems, type Items } from './write-items.js';

export interface HoldDeps {
  readonly topology: () => Topology;
  /** Re-reads the slot map (cluster; a no-op elsewhere). */
  refresh(): Promise<void>;
  /** Offers items again: routed to each key's current owner. */
  release(items: Items): void;
  /** Gives items up with `reason` (not charged to --max-errors). */
  fail(items: Items, reason: string): void;
  report: WriteReport;
  /** The wait for `node` ran out (called once per episode). */
  gaveUp(node: CacheNode, reason: string): void;
  now?: () => number;
}

interface Hold {
  node: CacheNode;
  since: number;
  items: GrowingItems;
  reason: string;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  lastNotice: number;
  gaveUp: boolean;
  /** The node's slots when the wait began (a cluster master), for the messages. */
  slots: string;
}

/** Backoff between offers while a node is down: 250 ms doubling to 2 s. */
const PROBE_BASE_MS = 250;
const PROBE_MAX_MS = 2_000;
/** A waiting line at most this often per node. */
const NOTICE_EVERY_MS = 5_000;

export class FailoverHolds {
  private readonly holds = new Map<string, Hold>();
  /** Keys held, over all nodes (the writer counts them against its memory bound). */
  held = 0;
  private stopReason: string | undefined;
  private readonly now: () => number;

  constructor(
    private readonly waitMs: number,
    private readonly deps: HoldDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** Nodes being waited for now, for the progress line. */
  get waiting(): number {
    let n = 0;
    for (const h of this.holds.values()) if (!h.gaveUp) n++;
    return n;
  }

  /** `items` could not be written to `node` for `reason`: hold them, or give them up past the wait. */
  hold(node: CacheNode, items: Items, reason: string): void {
    if (items.keys.length === 0) return;
    if (this.stopReason !== undefined) {
      this.deps.fail(items, `${this.stopReason} (${node.address} was not answering: ${reason})`);
      return;
    }
    let h = this.holds.get(node.address);
    const now = this.now();
    if (!h) {
      const topology = this.deps.topology();
      const slots = topology.kind === 'cluster' ? slotRangesOf(topology, node.address) : '';
      h = { node, since: now, items: emptyItems(), reason, attempt: 0, timer: undefined, lastNotice: now, gaveUp: false, slots };
      this.holds.set(node.address, h);
      this.notice(h, 'waiting', items.keys.length);
    }
    h.reason = reason;
    if (h.gaveUp || now - h.since >= this.waitMs) {
      if (!h.gaveUp) {
        h.gaveUp = true;
        this.notice(h, 'gaveUp', items.keys.length + h.items.keys.length);
        this.deps.gaveUp(node, this.giveUpReason(h));
      }
      // Keys still held from before fail with the same reason.
      const all = h.items;
      this.held -= all.keys.length;
      h.items = emptyItems();
      for (let i = 0; i < items.keys.length; i++) pushItem(all, items, i);
      this.deps.fail(all, this.giveUpReason(h));
      return;
    }
    for (let i = 0; i < items.keys.length; i++) pushItem(h.items, items, i);
    this.held += items.keys.length;
    if (now - h.lastNotice >= NOTICE_EVERY_MS) {
      h.lastNotice = now;
      this.notice(h, 'waiting', h.items.keys.length);
    }
    if (!h.timer) {
      const delay = Math.min(PROBE_BASE_MS * 2 ** h.attempt, PROBE_MAX_MS);
      h.attempt++;
      h.timer = setTimeout(() => void this.offer(h as Hold), delay);
    }
  }

  /** A pipeline to `node` was answered: whatever it was waited for is over. */
  answered(node: CacheNode): void {
    const h = this.holds.get(node.address);
    if (!h || h.items.keys.length > 0 || h.timer) return;
    this.holds.delete(node.address);
    this.notice(h, 'over', 0);
  }

  /** The run is stopping: nothing held is waited for any more. */
  stop(reason: string): void {
    this.stopReason = reason;
    for (const h of this.holds.values()) {
      if (h.timer) clearTimeout(h.timer);
      h.timer = undefined;
      const items = h.items;
      h.items = emptyItems();
      this.held -= items.keys.length;
      if (items.keys.length > 0) this.deps.fail(items, `${reason} (${h.node.address} was not answering: ${h.reason})`);
    }
  }

  /** The writer is closing: no timer may fire (and open connections) after it. */
  dispose(): void {
    for (const h of this.holds.values()) if (h.timer) clearTimeout(h.timer);
    this.holds.clear();
  }

  private async offer(h: Hold): Promise<void> {
    await this.deps.refresh();
    h.timer = undefined;
    const items = h.items;
    h.items = emptyItems();
    this.held -= items.keys.length;
    // The slots moved (a replica was promoted): the wait for this node is over.
    if (!this.deps.topology().nodes.some((n) => n.address === h.node.address) && this.holds.get(h.node.address) === h) {
      this.holds.delete(h.node.address);
      this.notice(h, 'over', 0);
    }
    this.deps.release(items);
  }

  private giveUpReason(h: Hold): string {
    const wait = formatDuration(this.waitMs);
    const topology = this.deps.topology();
    if (h.node.port === 0) return `no master served the slot within ${wait} (--failover-wait)`;
    if (topology.kind === 'cluster') {
      const slots = h.slots;
      const where = slots ? `slots ${slots}: ` : '';
      if (/^(CLUSTERDOWN|TRYAGAIN)/.test(h.reason))
        return `${where}${h.node.address} answered ${h.reason.split(' ')[0] ?? h.reason} for ${wait} (--failover-wait): the cluster did not recover`;
      return `${where}master ${h.node.address} down and no replica took over within ${wait} (--failover-wait; last error: ${h.reason})`;
    }
    const what = topology.kind === 'ring' ? `ring node ${h.node.name}` : `node ${h.node.address}`;
    return `${what} down and not back within ${wait} (--failover-wait; last error: ${h.reason})`;
  }

  private notice(h: Hold, state: 'waiting' | 'over' | 'gaveUp', heldKeys: number): void {
    this.deps.report.failover?.({
      node: h.node.address,
      state,
      ...(h.slots ? { slots: h.slots } : {}),
      heldKeys,
      waitedMs: this.now() - h.since,
      reason: h.reason,
    });
  }
}

/** `0-5460,10923` for the slots `address` serves in `topology` (cluster); '' when it serves none. */
export function slotRangesOf(topology: Topology, address: string): string {
  const index = topology.nodes.findIndex((n) => n.address === address);
  if (index < 0 || !('nodeIndexOfSlot' in topology)) return '';
  const ofSlot = (topology as Topology & { nodeIndexOfSlot(slot: number): number }).nodeIndexOfSlot.bind(topology);
  const ranges: string[] = [];
  let start = -1;
  for (let slot = 0; slot <= SLOT_COUNT; slot++) {
    const mine = slot < SLOT_COUNT && ofSlot(slot) === index;
    if (mine && start < 0) start = slot;
    if (!mine && start >= 0) {
      ranges.push(start === slot - 1 ? String(start) : `${start}-${slot - 1}`);
      start = -1;
    }
  }
  return ranges.join(',');
}
