/**
 * Writes warm batches to the node that owns each key: one lane per node, pipelines of up to
 * `pipelineSize` keys, at most `inFlight` pipelines per node, never a pipeline across nodes.
 * Per-key replies drive MOVED (refresh the slot map, re-route), ASK (ASKING on the target),
 * transient errors (retry with backoff) and permanent ones (the key fails with the reason).
 */
import type { Redis } from 'ioredis';
import type { RedisTarget } from '../../config/target.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { CacheNode, Topology } from '../../topology/types.js';
import { ClusterTopology } from '../../topology/cluster.js';
import type { CacheWriter, Ticket, WriteBatch, WriteReport } from '../../core/warm/ports.js';
import { groupByOwner, owningNodes } from '../../core/warm/route.js';
import { backoffMs } from '../../core/backoff.js';
import { classifyError } from './reply-errors.js';
import { bump, firstError, nodeAt, Outcomes, Redirects, respAuthFor } from './write-outcomes.js';
import { emptyItems, encodeItems, keyOf, modeOf, needsCheck, needsLook, pushFromBatch, pushItem, shouldWrite, type Items } from './write-items.js';
import { LaneQueue } from './lane-queue.js';
import { EncodedAhead, type AheadBudget, type EncodedPipeline } from './encoded-ahead.js';
import { RespConnection, type Reply, type RespAuth } from './resp-connection.js';
import { BufferPool, RespBuffer } from './resp-buffer.js';
import { WriteVerifier } from './write-verifier.js';
import { FailoverHolds } from './failover-hold.js';
import { WriteJournal, type LostKeys } from './write-journal.js';

/** What the writer needs of a cache connection (CacheConnection implements it). */
export interface CacheLink {
  readonly topology: Topology;
  readonly target: RedisTarget;
  clientFor(node: CacheNode): Redis;
  refreshTopology(): Promise<boolean>;
}

export interface PipelinedWriterOptions {
  pipelineSize: number;
  inFlight: number;
  /** See WarmOptions.waitReplicas; only where the node has that many replicas or more. */
  waitReplicas?: number;
  retries: number;
  retryBaseMs: number;
  verify: 'none' | 'all' | number;
  /** How long keys of a node that stopped answering are held for it (or its replica) to answer again. */
  failoverWaitMs?: number;
}

interface Lane {
  node: CacheNode;
  queue: LaneQueue;
  /** The queue's first pipelines, encoded as their keys arrived. */
  ahead: EncodedAhead;
  inFlight: number;
}

/** Where keys whose slot no master serves are held (a pseudo node). */
const UNSERVED: CacheNode = { address: '(no master)', host: '', port: 0, name: '(no master)' };

export class PipelinedWriter implements CacheWriter {
  private readonly lanes = new Map<string, Lane>();
  /** Keys in pipelines sent and not yet answered, over all nodes. */
  private keysInFlight = 0;
  /** Items accepted and not yet settled (written, skipped or failed). */
  private outstanding = 0;
  private drainWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private refreshing: Promise<void> | undefined;
  private readonly reportedErrors = new Set<string>();
  private readonly cluster: boolean;
  private readonly verifier: WriteVerifier;
  private readonly connections = new Map<string, RespConnection>();
  private readonly auth: RespAuth;
  private readonly buffers = new BufferPool();
  private readonly ahead: AheadBudget = { bytes: 0, max: DEFAULTS.warm.encodedAheadBytes };
  private readonly holds: FailoverHolds;
  private readonly journal: WriteJournal;
  private readonly journalBegun = new Map<string, Promise<void>>();

  constructor(
    private readonly cache: CacheLink,
    private readonly report: WriteReport,
    private readonly options: PipelinedWriterOptions,
  ) {
    this.cluster = cache.topology.kind === 'cluster';
    this.verifier = new WriteVerifier(cache, report, options.verify);
    this.auth = respAuthFor(cache.target);
    this.holds = new FailoverHolds(options.failoverWaitMs ?? DEFAULTS.warm.failoverWaitMs, {
      topology: () => this.cache.topology,
      refresh: () => this.refresh(),
      release: (items) => this.reroute(items),
      fail: (items, reason) => this.failAll(items, reason, false),
      report,
      gaveUp: (node, reason) => this.reportLost(this.journal.abandon(node), `${reason}; it had acknowledged this key before, and took it down with it`),
    });
    this.journal = new WriteJournal((node) => this.cache.clientFor(node), DEFAULTS.warm.journalBytes);
  }

  stop(reason: string): void {
    this.holds.stop(reason);
  }

  /** Closes the write connections (the CacheConnection's clients are closed by their owner). */
  close(): void {
    this.holds.dispose();
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private connectionFor(node: CacheNode): RespConnection {
    let conn = this.connections.get(node.address);
    if (!conn) {
      conn = new RespConnection(node, this.auth, DEFAULTS.connection.connectTimeoutMs, this.cache.target.timeoutMs ?? DEFAULTS.warm.replyTimeoutMs);
      this.connections.set(node.address, conn);
    }
    return conn;
  }

  get nodeNames(): readonly string[] {
    return this.cache.topology.nodes.map((n) => n.name);
  }

  async write(batch: WriteBatch): Promise<void> {
    this.outstanding += batch.keys.length;
    this.distribute(batch, undefined);
    while (this.full()) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  async drain(): Promise<void> {
    while (this.outstanding > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * After the last write to every node: a node whose run_id changed since (restarted without
   * persistence) lost what it acknowledged, whatever the read-backs right after each write said.
   */
  async finishVerify(): Promise<void> {
    await Promise.all(
      this.journal.journaledNodes.map(async (address) => {
        const node = this.cache.topology.nodes.find((n) => n.address === address) ?? nodeAt(address);
        this.rewriteLost(await this.journal.check(node), `${address} restarted after the last writes to it (its run_id changed)`);
      }),
    );
    await this.drain();
    return this.verifier.finishVerify();
  }

  /** Keys of a node given up on: they are gone with it (failed, listed). */
  private reportLost(lost: LostKeys | undefined, reason: string): void {
    if (!lost || !this.report.lost) return;
    const { items } = lost;
    for (let i = 0; i < items.keys.length; i++) {
      if (!items.stale[i]) this.report.lost((items.tickets[i] as Ticket).entry, keyOf(items, i), reason);
    }
    this.reportUnlisted(lost, reason);
  }

  /** Keys a restarted node no longer has: written again (their first write no longer counts). */
  private rewriteLost(lost: LostKeys | undefined, reason: string): void {
    if (!lost) return;
    const { items } = lost;
    if (items.keys.length > 0) {
      this.report.nodeError(lost.node.name, `${reason}: ${items.keys.length} keys it had acknowledged are gone; writing them again`);
      const detached = new Map<Ticket, Ticket>();
      for (let i = 0; i < items.keys.length; i++) {
        const ticket = items.tickets[i] as Ticket;
        let again = detached.get(ticket);
        // Outside the checkpoint ledger: the batch was settled once already.
        if (!again)
          detached.set(ticket, (again = { entry: ticket.entry, entryIndex: ticket.entryIndex, position: ticket.position, remaining: 0, sealed: false }));
        items.tickets[i] = again;
        items.attempts[i] = 0;
        this.report.retract?.(ticket.entry, items.stale[i] ? 0 : 1, items.stale[i] ? 1 : 0);
      }
      this.outstanding += items.keys.length;
      this.reroute(items);
    }
    this.reportUnlisted(lost, reason);
  }

  private reportUnlisted(lost: LostKeys, reason: string): void {
    if (lost.unlisted > 0 && this.report.lost) {
      this.report.lost(
        lost.unlistedEntry ?? '(run)',
        `(${lost.unlisted} more keys written to ${lost.node.address}: not kept to be listed or rewritten, over the journal bound)`,
        reason,
        lost.unlisted,
      );
    }
  }

  /** Journal the node's writes (see WriteJournal) unless a replica acknowledges them. */
  private async beginJournal(node: CacheNode, conn: RespConnection): Promise<boolean> {
    if (this.replicasToWaitFor(node) > 0 || node === UNSERVED) return false;
    let begun = this.journalBegun.get(node.address);
    if (!begun) this.journalBegun.set(node.address, (begun = this.journal.begin(node, conn.dials)));
    await begun;
    return true;
  }

  /** After a pipeline on a re-dialled connection: did the node restart and lose what it had? */
  private checkRestart(node: CacheNode, conn: RespConnection): void {
    if (!this.journal.redialled(node, conn.dials)) return;
    // Counted as outstanding, so the run does not end before the check has reported.
    this.outstanding++;
    this.journal
      .check(node, conn.dials)
      .then(
        (lost) => this.rewriteLost(lost, `${node.address} restarted (its run_id changed)`),
        () => undefined,
      )
      .finally(() => this.settled(1));
  }

  /** Keys taken from the source and not yet in a pipeline, over all nodes: more only holds memory longer. */
  private highWater(): number {
    return this.options.pipelineSize * 2;
  }

  /**
   * No room for more: the lanes hold their share, or keys held for a node that is down reach a
   * few rounds of pipelines over all nodes (the reader then waits for the failover, memory stays bounded).
   */
  private full(): boolean {
    const { pipelineSize, inFlight } = this.options;
    return this.buffered() > this.highWater() || this.holds.held > pipelineSize * inFlight * 4;
  }

  private buffered(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.queue.length;
    return n;
  }

  private laneOf(node: CacheNode): Lane {
    let lane = this.lanes.get(node.address);
    if (!lane) {
      lane = {
        node,
        queue: new LaneQueue(),
        ahead: new EncodedAhead(this.options.pipelineSize, DEFAULTS.warm.pipelineBytes, this.buffers, this.ahead),
        inFlight: 0,
      };
      this.lanes.set(node.address, lane);
    }
    return lane;
  }

  /**
   * Full pipelines while there is room; a partial one when the node is idle (no waiting for more).
   * Room is per node (`inFlight` pipelines) and over all nodes together (`inFlight` pipelines'
   * worth of keys, beyond the one every busy node may have): keys in flight are held in memory
   * until Redis answers, and on a 2-core machine three nodes do not answer three times faster
   * than one. Holding a third as many keys in flight on a 3-master cluster cut the peak RSS of a
   * streamed warm from about 190 to 140 MiB at the same rate.
   */
  private pump(lane: Lane): void {
    const { pipelineSize, inFlight } = this.options;
    const budget = pipelineSize * inFlight;
    while (
      lane.queue.length > 0 &&
      (lane.inFlight === 0 || (lane.queue.length >= pipelineSize && lane.inFlight < inFlight && this.keysInFlight + pipelineSize <= budget))
    ) {
      const chunk = lane.queue.take(pipelineSize, DEFAULTS.warm.pipelineBytes);
      const keys = chunk.keys.length;
      const encoded = lane.ahead.takeFor(keys, lane.queue.length === 0);
      lane.inFlight++;
      this.keysInFlight += keys;
      this.send(lane.node, chunk, false, encoded)
        .catch((error: unknown) => this.failAll(chunk, `internal: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          lane.inFlight--;
          this.keysInFlight -= keys;
          // Room freed over all nodes: any lane may go on, not only this one.
          for (const other of this.lanes.values()) this.pump(other);
          this.wakeRoom();
        });
    }
  }

  private wakeRoom(): void {
    if (this.roomWaiters.length > 0 && !this.full()) for (const w of this.roomWaiters.splice(0)) w();
  }

  private settled(n: number): void {
    this.outstanding -= n;
    if (this.outstanding === 0) for (const w of this.drainWaiters.splice(0)) w();
    if (n > 0) this.wakeRoom();
  }

  /**
   * Sends a chunk to one node: optional PTTL look, then the writes; handles every reply.
   * `encoded`: the chunk's writes, encoded as its keys arrived (EncodedAhead; none needs a look).
   */
  private async send(node: CacheNode, chunk: Items, asking: boolean, encoded?: EncodedPipeline): Promise<void> {
    const conn = this.connectionFor(node);
    let journaled: boolean;
    try {
      journaled = await this.beginJournal(node, conn);
    } catch (error) {
      encoded?.p.release();
      throw error;
    }
    let items = chunk;
    if (!encoded && items.keys.some((_, i) => needsCheck(items, i))) {
      items = await this.checkFirst(node, conn, items, asking);
      if (items.keys.length === 0) return;
    }
    const { p, ends, bytes } = encoded ?? encodeItems(items, asking, this.buffers);
    const waitFor = this.replicasToWaitFor(node);
    if (waitFor > 0) p.command3('WAIT', String(waitFor), String(DEFAULTS.warm.waitReplicaTimeoutMs));
    let results: Reply[];
    try {
      results = await conn.send(p);
    } catch (error) {
      this.onChunkError(node, items, error);
      return;
    }
    if (waitFor > 0) {
      // Not yet on a replica: a failover now could drop the writes after Redis said OK, so
      // none of them counts as written. Writing them again is idempotent.
      const acked = results[results.length - 1];
      if (typeof acked !== 'number' || acked < waitFor) {
        this.scheduleRetry(items, `written but not acknowledged by ${waitFor} replica(s) within ${DEFAULTS.warm.waitReplicaTimeoutMs}ms`, true, node.name);
        return;
      }
    }
    if (journaled) this.checkRestart(node, conn);
    const journal = journaled ? this.journal.of(node) : undefined;
    const done = new Outcomes(this.report, node.name);
    const redo = new Redirects();
    for (let i = 0; i < items.keys.length; i++) {
      const end = ends[i] as number;
      const start = i === 0 ? 0 : (ends[i - 1] as number) + 1;
      const error = firstError(results, start, end);
      if (error) {
        redo.add(items, i, error, this.cluster);
        continue;
      }
      if (results[end] === null) done.skip(items.tickets[i] as Ticket);
      else {
        done.write(items, i, bytes[i] as number);
        this.verifier.written(node, items, i);
        if (journal) this.journal.record(journal, items, i);
      }
    }
    this.settled(done.flush());
    this.verifier.flushInline(node);
    if (redo.retry.size === 0) this.holds.answered(node);
    await this.followRedirects(node, redo);
  }

  /** PTTL for items that need it; returns the items to write, settles the skipped. */
  private async checkFirst(node: CacheNode, conn: RespConnection, items: Items, asking: boolean): Promise<Items> {
    const p = new RespBuffer();
    const checked: number[] = [];
    for (let i = 0; i < items.keys.length; i++) {
      if (!needsCheck(items, i)) continue;
      if (asking) p.command1('ASKING');
      p.command2('PTTL', keyOf(items, i));
      checked.push(i);
    }
    let results: Reply[];
    try {
      results = await conn.send(p);
    } catch (error) {
      this.onChunkError(node, items, error);
      return emptyItems();
    }
    const keep = emptyItems();
    const done = new Outcomes(this.report, node.name);
    const redo = new Redirects();
    const per = asking ? 2 : 1;
    let c = 0;
    for (let i = 0; i < items.keys.length; i++) {
      if (checked[c] !== i) {
        pushItem(keep, items, i);
        continue;
      }
      const end = c * per + per - 1;
      const error = firstError(results, c * per, end);
      c++;
      if (error) redo.add(items, i, error, this.cluster);
      else if (shouldWrite(items, i, Number(results[end]))) pushItem(keep, items, i);
      else done.skip(items.tickets[i] as Ticket);
    }
    this.settled(done.flush());
    await this.followRedirects(node, redo);
    return keep;
  }

  private async followRedirects(node: CacheNode, redo: Redirects): Promise<void> {
    for (const [address, asked] of redo.ask) {
      const target = this.cache.topology.nodes.find((n) => n.address === address) ?? nodeAt(address);
      await this.send(target, bump(asked), true);
    }
    if (redo.moved.keys.length > 0) {
      await this.refresh();
      const moved = bump(redo.moved);
      const settling = emptyItems();
      const again = emptyItems();
      for (let i = 0; i < moved.keys.length; i++) pushItem((moved.attempts[i] as number) > this.options.retries ? settling : again, moved, i);
      // Redirected again and again: the slot map read back does not know the new owner yet (a
      // failover or a resharding in progress). Waited for like a node that is down (backoff,
      // fresh slot maps, up to --failover-wait, not charged to --max-errors), not failed.
      if (settling.keys.length > 0)
        this.holds.hold(node, settling, `still redirected (MOVED) after ${this.options.retries} attempts: the slot map is changing`);
      if (again.keys.length > 0) this.reroute(again);
    }
    // CLUSTERDOWN, TRYAGAIN, LOADING, READONLY...: the node (or the cluster) is between states; wait for it.
    for (const [reason, group] of redo.retry) this.holds.hold(node, group.items, reason);
    for (let i = 0; i < redo.fail.items.keys.length; i++) {
      this.report.failed(redo.fail.items.tickets[i] as Ticket, keyOf(redo.fail.items, i), redo.fail.reasons[i] as string);
    }
    this.settled(redo.fail.items.keys.length);
  }

  /** Replicas a pipeline to `node` must reach: only masters of a cluster that have them. */
  private replicasToWaitFor(node: CacheNode): number {
    const wanted = this.options.waitReplicas ?? 0;
    const topology = this.cache.topology;
    if (wanted === 0 || !(topology instanceof ClusterTopology)) return 0;
    const index = topology.nodes.findIndex((n) => n.address === node.address);
    const replicas = index >= 0 ? (topology.replicas[index]?.length ?? 0) : 0;
    return replicas >= wanted ? wanted : 0;
  }

  private onChunkError(node: CacheNode, items: Items, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const action = classifyError(err, this.cluster);
    const tag = `${node.address}|${err.message}`;
    if (!this.reportedErrors.has(tag)) {
      this.reportedErrors.add(tag);
      this.report.nodeError(node.name, err.message);
    }
    if (action.kind === 'fail') this.failAll(items, action.reason);
    else this.holds.hold(node, items, action.kind === 'retry' ? action.reason : err.message);
  }

  private failAll(items: Items, reason: string, charge = true): void {
    for (let i = 0; i < items.keys.length; i++) this.report.failed(items.tickets[i] as Ticket, keyOf(items, i), reason, charge);
    this.settled(items.keys.length);
  }

  /** Retries with exponential backoff; items over the retry limit fail with the last reason. */
  private scheduleRetry(items: Items, reason: string, refresh: boolean, node: string): void {
    const again = emptyItems();
    const exhausted = emptyItems();
    let attempt = 0;
    for (let i = 0; i < items.keys.length; i++) {
      const a = (items.attempts[i] as number) + 1;
      if (a > this.options.retries) pushItem(exhausted, items, i);
      else {
        pushItem(again, items, i);
        again.attempts[again.attempts.length - 1] = a;
        attempt = Math.max(attempt, a);
      }
    }
    if (exhausted.keys.length > 0) this.failAll(exhausted, `${reason} (after ${this.options.retries} retries)`);
    if (again.keys.length === 0) return;
    const delayMs = backoffMs(this.options.retryBaseMs, attempt);
    this.report.retry({ node, attempt, delayMs, reason, keys: again.keys.length });
    setTimeout(() => {
      void (async () => {
        if (refresh) await this.refresh();
        this.reroute(again);
      })();
    }, delayMs);
  }

  private reroute(items: Items): void {
    this.distribute(undefined, items);
  }

  /**
   * Puts each key of a batch (or of Items coming back) into its owning node's lane, as one run of
   * indexes per node (see LaneQueue), schedules keys whose slot no master serves for a retry after
   * a refresh, and pumps the lanes.
   */
  private distribute(batch: WriteBatch | undefined, items: Items | undefined): void {
    const from = (batch ?? items) as WriteBatch | Items;
    const topology = this.cache.topology;
    const owners = owningNodes(topology, from.keys, from.chunks, from.spans);
    const { runs, unserved: unservedAt } = groupByOwner(owners, topology.nodes.length);
    const lanes = runs.map((run, o) => {
      if (run.length === 0) return undefined;
      const lane = this.laneOf(topology.nodes[o] as CacheNode);
      if (batch) lane.queue.addFromBatch(batch, run);
      else {
        lane.queue.addFromItems(items as Items, run);
        lane.ahead.stopCovering();
      }
      return lane;
    });
    if (batch) this.encodeAhead(batch, owners, lanes);
    const unserved = emptyItems();
    for (const i of unservedAt) {
      if (batch) pushFromBatch(unserved, batch, i);
      else pushItem(unserved, items as Items, i);
    }
    if (unserved.keys.length > 0) this.holds.hold(UNSERVED, unserved, 'slot not served by any master');
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  /**
   * A batch's items encoded into their lanes' pipelines in the batch's order, one pass over its
   * rows while their bytes are in cache (see EncodedAhead). An item that needs a PTTL look first
   * is encoded when sent, after the look, and ends its lane's cover.
   */
  private encodeAhead(batch: WriteBatch, owners: Int32Array, lanes: (Lane | undefined)[]): void {
    const mode = modeOf(batch);
    const refresh = batch.refreshBelowMs;
    for (let i = 0; i < owners.length; i++) {
      const lane = lanes[owners[i] as number];
      if (!lane) continue;
      if (needsLook(mode, refresh ? (refresh[i] as number) : -1)) lane.ahead.stopCovering();
      else lane.ahead.add(batch, i, mode);
    }
  }

  /** One slot-map refresh at a time; failures leave the old map (the retry budget decides). */
  private refresh(): Promise<void> {
    if (!this.cluster) return Promise.resolve();
    this.refreshing ??= this.cache
      .refreshTopology()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
