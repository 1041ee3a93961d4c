/**
 * The inspect core's view of real nodes: INFO and CLIENT NO-TOUCH per node, SCAN of every node
 * with per-batch lookups (a Lua script per batch, or SCAN + one pipeline when scripts are
 * refused), `--rate` pacing, and lookups of named keys on their owning nodes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { keyspaceOf, parseInfo, versionAtLeast } from '../../core/inspect/keyspace.js';
import { TokenBucket, scanCountFor } from '../../core/inspect/rate.js';
import type {
  CachedValue,
  ClockReading,
  HotBatch,
  HotScanRequest,
  InspectSource,
  KeyBatch,
  OverviewBatch,
  OverviewScanRequest,
  KeyLookup,
  LookupRequest,
  NodeFacts,
  NodeProblem,
  ScanOutcome,
  ScanRequest,
  SummaryBatch,
} from '../../core/inspect/types.js';
import type { Topology } from '../../topology/types.js';
import type { CacheConnection } from './cache.js';
import { connectAndPing } from './client.js';
import { isReplyError, problemOf } from './node-problem.js';
import { hotFromReply, hotScriptFor } from './hot-script.js';
import { readValuesOnce } from './value-reads.js';
import { overviewArgs, overviewFromReply, overviewScriptFor } from './overview-script.js';
import { FlatBatch, layoutOf, scanScriptFor, serverMs, summaryFromBatch, summaryFromReply, summaryScriptFor, type ScanScript } from './scan-script.js';

export type ScanMode = 'auto' | 'lua' | 'pipeline';

export interface RedisInspectOptions {
  /** Database number of a single node (`redis://host/3`); clusters and rings use 0. */
  db?: number;
  mode?: ScanMode;
}

export class RedisInspectSource implements InspectSource {
  private readonly facts = new Map<number, NodeFacts>();
  private readonly clockOffset = new Map<number, number>();

  constructor(
    private readonly cache: CacheConnection,
    private readonly options: RedisInspectOptions = {},
  ) {}

  get topology(): Topology {
    return this.cache.topology;
  }

  nodeNow(node: number): number {
    return Date.now() + (this.clockOffset.get(node) ?? 0);
  }

  async nodeFacts(): Promise<NodeFacts[]> {
    const all = await Promise.all(this.topology.nodes.map((_, i) => this.readFacts(i)));
    for (const f of all) this.facts.set(f.index, f);
    return all;
  }

  private async readFacts(index: number): Promise<NodeFacts> {
    const node = this.topology.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    const facts: NodeFacts = { index, name: node.name, address: node.address };
    // openCache has just pinged every node: a down node is not tried again (another connect
    // timeout, and on an auto-eject ring a second failure towards ejection), a live one not re-pinged.
    const health = this.cache.health?.find((h) => h.node.address === node.address);
    if (health && !health.ok) return { ...facts, problem: { status: 'down', message: health.error ?? 'not reachable' } };
    const client = this.cache.clientFor(node);
    if (!health) {
      try {
        await connectAndPing(client, node);
      } catch (error) {
        return { ...facts, problem: { status: 'down', message: error instanceof Error ? error.message : String(error) } };
      }
    }
    try {
      const info = parseInfo(await client.info());
      facts.info = info;
      facts.version = info.redis_version;
      facts.role = info.role === 'slave' ? 'replica' : info.role;
      facts.keyspace = keyspaceOf(info, this.options.db ?? 0);
    } catch (error) {
      facts.problem = problemOf(error, 'INFO');
      if (facts.problem.status === 'down') return facts;
    }
    facts.noTouch = await this.noTouch(client, facts.version);
    const clock = await readClock(client).catch(() => undefined);
    if (clock) {
      facts.clock = clock;
      this.clockOffset.set(index, clock.offsetMs);
    }
    return facts;
  }

  /** CLIENT NO-TOUCH (Redis 7.2+) keeps our value reads out of the LRU/LFU statistics. */
  private async noTouch(client: Redis, version: string | undefined): Promise<string> {
    if (version && !versionAtLeast(version, 7, 2)) return `not available: Redis ${version} (needs 7.2)`;
    try {
      await client.call('CLIENT', 'NO-TOUCH', 'ON');
      return 'on';
    } catch (error) {
      return `not available: ${problemOf(error, 'CLIENT').message}`;
    }
  }

  private redis7(node: number): boolean {
    return versionAtLeast(this.facts.get(node)?.version, 7, 0);
  }

  async scan(node: number, request: ScanRequest, onBatch: (batch: KeyBatch) => void | Promise<void>): Promise<ScanOutcome> {
    const client = this.cache.client(node);
    return this.scanLoop(node, request, onBatch, (mode, cursor, count) =>
      mode === 'lua' ? this.luaBatch(client, node, cursor, count, request) : this.pipelineBatch(client, node, cursor, count, request),
    );
  }

  async scanSummary(node: number, request: ScanRequest & { sampleSize: number }, onBatch: (batch: SummaryBatch) => void): Promise<ScanOutcome> {
    const client = this.cache.client(node);
    let sampled = 0;
    return this.scanLoop<SummaryBatch>(
      node,
      request,
      (batch) => {
        sampled += batch.noTtlSample.length;
        onBatch(batch);
      },
      async (mode, cursor, count) => {
        const left = Math.max(0, request.sampleSize - sampled);
        if (mode === 'pipeline') {
          const [next, batch] = await this.pipelineBatch(client, node, cursor, count, request);
          return [next, summaryFromBatch(batch, left, Boolean(request.withTypes))];
        }
        const script = summaryScriptFor(this.redis7(node));
        return summaryFromReply(
          await this.runScript(client, script, [
            cursor,
            request.match,
            String(count),
            script.absolute ? '1' : '0',
            String(left),
            request.withTypes ? '1' : '0',
          ]),
        );
      },
    );
  }

  async scanOverview(node: number, request: OverviewScanRequest, onBatch: (batch: OverviewBatch) => void | Promise<void>): Promise<ScanOutcome> {
    const client = this.cache.client(node);
    let sampled = 0;
    return this.scanLoop<OverviewBatch & { size: number; serverNowMs: number }>(
      node,
      request,
      (batch) => {
        sampled += batch.summary.noTtlSample.length;
        return onBatch(batch);
      },
      async (mode, cursor, count) => {
        const left = Math.max(0, request.sampleSize - sampled);
        const [next, batch] =
          mode === 'lua'
            ? await this.luaOverview(client, node, cursor, count, request, left)
            : await this.pipelineOverview(client, node, cursor, count, request, left);
        return [next, { ...batch, size: batch.summary.size, serverNowMs: batch.summary.serverNowMs }];
      },
    );
  }

  private async luaOverview(
    client: Redis,
    node: number,
    cursor: string,
    count: number,
    request: OverviewScanRequest,
    sampleLeft: number,
  ): Promise<[string, OverviewBatch]> {
    const script = overviewScriptFor(this.redis7(node));
    return overviewFromReply(await this.runScript(client, script, overviewArgs(request, cursor, count, script.absolute, sampleLeft)), script.absolute);
  }

  /** Without scripts: the plain batch, then the pattern keys of it looked up again with what their views read. */
  private async pipelineOverview(
    client: Redis,
    node: number,
    cursor: string,
    count: number,
    request: OverviewScanRequest,
    sampleLeft: number,
  ): Promise<[string, OverviewBatch]> {
    const [next, batch] = await this.pipelineBatch(client, node, cursor, count, request);
    const keys: string[] = [];
    for (let i = 0; i < batch.size; i++) if (batch.pttl(i) !== -2) keys.push(batch.key(i));
    const pick = (test: (k: string) => boolean) => keys.filter((k) => test(k));
    const { stampedePrefix: sp, lockPrefix: lp, staleSuffix: ss } = request;
    const [counters, locks, staleCopies] = await Promise.all([
      this.lookupOn(client, node, sp ? pick((k) => k.startsWith(sp)) : [], { withValues: true, valueBytes: request.valueBytes ?? 256 }),
      this.lookupOn(client, node, lp ? pick((k) => k.startsWith(lp)) : [], {
        withIdle: true,
        withValues: request.readLockValues,
        valueBytes: request.valueBytes ?? 256,
      }),
      this.lookupOn(client, node, ss ? pick((k) => k.length > ss.length && k.endsWith(ss)) : [], {}),
    ]);
    return [next, { summary: summaryFromBatch(batch, sampleLeft, false), counters, locks, staleCopies }];
  }

  async scanHot(node: number, request: HotScanRequest, onBatch: (batch: HotBatch) => void): Promise<ScanOutcome> {
    const client = this.cache.client(node);
    return this.scanLoop<HotBatch>(node, request, onBatch, async (mode, cursor, count) => {
      if (mode === 'lua') {
        const script = hotScriptFor(this.redis7(node));
        return hotFromReply(await this.runScript(client, script, [cursor, request.match, String(count), request.measure, String(request.floor())]));
      }
      const [next, keys] = (await client.scan(cursor, 'MATCH', request.match, 'COUNT', count)) as [string, string[]];
      const pipeline = client.pipeline();
      pipeline.time();
      for (const key of keys) pipeline.call('OBJECT', request.measure === 'freq' ? 'FREQ' : 'IDLETIME', key);
      const results = (await pipeline.exec()) ?? [];
      const [timeError, time] = results[0] ?? [new Error('no reply')];
      if (timeError) throw timeError;
      const [sec, usec] = time as [string, string];
      const batch = { size: keys.length, serverNowMs: serverMs(sec, usec), keys: [] as string[], scores: [] as number[] };
      keys.forEach((key, i) => {
        const [error, value] = results[i + 1] ?? [];
        if (error || typeof value !== 'number') return;
        batch.keys.push(key);
        batch.scores.push(value);
      });
      return [next, batch];
    });
  }

  /**
   * SCAN to the end of one node: one batch at a time, paced by --rate, stopped by the signal.
   * Scripts refused on the first batch (EVAL blocked, old server): the same cursor again, without.
   */
  private async scanLoop<B extends { size: number; serverNowMs: number }>(
    node: number,
    request: ScanRequest,
    onBatch: (batch: B) => void | Promise<void>,
    fetch: (mode: ScanOutcome['mode'], cursor: string, count: number) => Promise<[string, B]>,
  ): Promise<ScanOutcome> {
    const bucket = request.rate ? new TokenBucket(request.rate) : undefined;
    const count = scanCountFor(request.count, request.rate);
    let mode: ScanOutcome['mode'] = this.options.mode === 'pipeline' ? 'pipeline' : 'lua';
    const outcome: ScanOutcome = { keysScanned: 0, batches: 0, mode };
    let cursor = '0';
    // The next batch is asked for before this one is processed, so the node works while we count;
    // not under --rate, where the pause has to come first.
    let ahead: Promise<[string, B]> | undefined;
    for (;;) {
      if (request.signal?.aborted) {
        outcome.interrupted = true;
        ahead?.catch(() => undefined);
        break;
      }
      let next: [string, B];
      try {
        next = await (ahead ?? fetch(mode, cursor, count));
      } catch (error) {
        ahead = undefined;
        if (mode === 'lua' && this.options.mode !== 'lua' && isReplyError(error) && outcome.batches === 0) {
          mode = outcome.mode = 'pipeline';
          continue;
        }
        outcome.problem = withProgress(problemOf(error, mode === 'lua' ? 'EVAL' : 'SCAN'), outcome.keysScanned);
        break;
      }
      const [nextCursor, batch] = next;
      cursor = nextCursor;
      ahead = cursor !== '0' && !bucket ? fetch(mode, cursor, count) : undefined;
      ahead?.catch(() => undefined); // handled when awaited; never an unhandled rejection meanwhile
      this.clockOffset.set(node, batch.serverNowMs - Date.now());
      outcome.batches++;
      outcome.keysScanned += batch.size;
      await onBatch(batch);
      if (bucket && batch.size > 0) {
        const wait = bucket.take(batch.size, Date.now());
        if (wait > 0) await sleep(wait, undefined, { signal: request.signal }).catch(() => undefined);
      }
      if (cursor === '0') break;
    }
    return outcome;
  }

  /** EVALSHA, and EVAL once when the node does not have the script yet. */
  private async runScript(client: Redis, script: ScanScript, args: string[]): Promise<unknown[]> {
    try {
      return (await client.evalsha(script.sha, 0, ...args)) as unknown[];
    } catch (error) {
      if (!/NOSCRIPT/.test(String(error))) throw error;
      return (await client.eval(script.text, 0, ...args)) as unknown[];
    }
  }

  private async luaBatch(client: Redis, node: number, cursor: string, count: number, request: ScanRequest): Promise<[string, KeyBatch]> {
    const script = scanScriptFor(this.redis7(node));
    const args = [
      cursor,
      request.match,
      String(count),
      script.absolute ? '1' : '0',
      request.withIdle ? '1' : '0',
      String(request.withValues ? (request.valueBytes ?? 256) : 0),
    ];
    const reply = await this.runScript(client, script, args);
    const { stride, idleAt, valueAt } = layoutOf(Boolean(request.withIdle), Boolean(request.withValues));
    return [String(reply[0]), new FlatBatch(reply, 3, stride, script.absolute, serverMs(reply[1], reply[2]), idleAt, valueAt)];
  }

  /** SCAN, then one pipeline with TIME and the lookups of the batch. */
  private async pipelineBatch(client: Redis, node: number, cursor: string, count: number, request: ScanRequest): Promise<[string, KeyBatch]> {
    const [next, keys] = (await client.scan(cursor, 'MATCH', request.match, 'COUNT', count)) as [string, string[]];
    const rows = await this.lookupOn(client, node, keys, request);
    return [next, rows];
  }

  /** TIME + per key TYPE, expiry, (OBJECT IDLETIME), (GETRANGE) in one pipeline, as a FlatBatch. */
  private async lookupOn(client: Redis, node: number, keys: readonly string[], request: LookupRequest): Promise<FlatBatch> {
    const absolute = this.redis7(node);
    const pipeline = client.pipeline();
    pipeline.time();
    for (const key of keys) {
      pipeline.type(key);
      if (absolute) pipeline.pexpiretime(key);
      else pipeline.pttl(key);
      if (request.withIdle) pipeline.object('IDLETIME', key);
      if (request.withValues) pipeline.getrange(key, 0, (request.valueBytes ?? 256) - 1);
    }
    const results = (await pipeline.exec()) ?? [];
    const [timeError, time] = results[0] ?? [new Error('no reply')];
    if (timeError) throw timeError;
    const [sec, usec] = time as [string, string];
    const { stride, idleAt, valueAt } = layoutOf(Boolean(request.withIdle), Boolean(request.withValues));
    const flat: unknown[] = [];
    let r = 1;
    for (const key of keys) {
      const [typeError, type] = results[r++] ?? [];
      if (typeError) throw typeError;
      const [expiryError, expiry] = results[r++] ?? [];
      if (expiryError) throw expiryError;
      flat.push(key, type, expiry);
      if (request.withIdle) {
        const [idleError, idle] = results[r++] ?? [];
        flat.push(idleError ? -3 : idle);
      }
      if (request.withValues) {
        const [valueError, value] = results[r++] ?? [];
        flat.push(valueError || type !== 'string' ? null : value);
      }
    }
    return new FlatBatch(flat, 0, stride, absolute, serverMs(sec, usec), idleAt, valueAt);
  }

  async readValues(keys: readonly string[], format: 'string' | 'hash'): Promise<CachedValue[]> {
    const first = await readValuesOnce(this.cache, (n) => this.facts.get(n)?.problem, keys, format);
    if (!first.some((r) => r.problem && /^(MOVED|ASK) /.test(r.problem.message))) return first;
    await this.cache.refreshTopology().catch(() => false);
    return readValuesOnce(this.cache, (n) => this.facts.get(n)?.problem, keys, format);
  }

  /** On a cluster whose slots moved since we read them (MOVED), re-reads the map and asks again once. */
  async lookup(keys: readonly string[], request: LookupRequest = {}): Promise<KeyLookup[]> {
    const first = await this.lookupOnce(keys, request);
    if (!first.some((r) => r.problem && /^(MOVED|ASK) /.test(r.problem.message))) return first;
    await this.cache.refreshTopology().catch(() => false);
    return this.lookupOnce(keys, request);
  }

  private async lookupOnce(keys: readonly string[], request: LookupRequest): Promise<KeyLookup[]> {
    const out = new Array<KeyLookup>(keys.length);
    const byNode = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const node = this.topology.nodeIndexOf(key);
      const list = byNode.get(node) ?? [];
      list.push(i);
      byNode.set(node, list);
    });
    await Promise.all(
      [...byNode].map(async ([node, indexes]) => {
        const fail = (problem: NodeProblem) => {
          for (const i of indexes) out[i] = { key: keys[i] as string, node, type: 'none', pttl: -2, expireAt: -2, problem };
        };
        if (node < 0) return fail({ status: 'down', message: 'no master serves the slot of this key' });
        const known = this.facts.get(node)?.problem;
        if (known?.status === 'down') return fail(known);
        try {
          const names = indexes.map((i) => keys[i] as string);
          const batch = await this.lookupOn(this.cache.client(node), node, names, request);
          this.clockOffset.set(node, batch.serverNowMs - Date.now());
          indexes.forEach((keyIndex, j) => {
            const idle = batch.idleSeconds(j);
            const value = batch.value(j);
            out[keyIndex] = {
              key: names[j] as string,
              node,
              type: batch.type(j),
              pttl: batch.pttl(j),
              expireAt: batch.expireAt(j),
              ...(idle !== undefined ? { idleSeconds: idle } : {}),
              ...(value !== undefined ? { value } : {}),
            };
          });
        } catch (error) {
          fail(problemOf(error, 'lookup'));
        }
      }),
    );
    return out;
  }
}

/** TIME against our clock: the offset at the midpoint of the round trip, good to half of it. */
async function readClock(client: Redis): Promise<ClockReading> {
  let best: ClockReading | undefined;
  // The shortest of three round trips bounds the offset most tightly.
  for (let i = 0; i < 3; i++) {
    const before = performance.timeOrigin + performance.now();
    const [sec, usec] = (await client.time()) as [string | number, string | number];
    const after = performance.timeOrigin + performance.now();
    const node = Number(sec) * 1000 + Number(usec) / 1000;
    const reading = { offsetMs: round3(node - (before + after) / 2), uncertaintyMs: round3((after - before) / 2) };
    if (!best || reading.uncertaintyMs < best.uncertaintyMs) best = reading;
  }
  return best as ClockReading;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function withProgress(problem: NodeProblem, scanned: number): NodeProblem {
  return scanned > 0 ? { ...problem, message: `${problem.message} (after ${scanned} keys)` } : problem;
}
