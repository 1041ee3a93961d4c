/**
 * One contract, every CacheWriter (the warm engine's write port): the dry-run writer over a
 * single node and a cluster topology, and the pipelined writer against a real single node and a
 * real 3-master cluster. Only the port's interface is used: write, drain and the WriteReport.
 * What the engine relies on: every item settles exactly once on the ticket it came with, write()
 * holds the caller back while the writer holds too much, drain() resolves only once all is settled.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import { PipelinedWriter } from '../../src/adapters/redis/pipelined-writer.js';
import { DryRunWriter } from '../../src/core/warm/dry-run-writer.js';
import type { CacheWriter, Ticket, WriteBatch, WriteReport } from '../../src/core/warm/ports.js';
import { ClusterTopology } from '../../src/topology/cluster.js';
import { SingleNodeTopology } from '../../src/topology/single.js';
import { nodeFromAddress } from '../../src/topology/types.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { singleTarget } from '../../src/config/target.js';

const PIPELINE = { pipelineSize: 100, inFlight: 2, retries: 2, retryBaseMs: 10, verify: 'none' as const };
/** Larger than any buffer the writers keep, so a write() that does not hold the caller back shows. */
const BATCH = 2000;
/** Unsettled items a writer may hold once write() has resolved: a few pipelines' worth, far below a batch. */
const PIPELINED_BOUND = 5 * PIPELINE.pipelineSize * PIPELINE.inFlight;

interface Opened {
  writer: CacheWriter;
  close(): Promise<void>;
}

interface Implementation {
  name: string;
  open(report: WriteReport): Promise<Opened>;
  /** Most items left unsettled when write() resolves. */
  bound: number;
}

/** Counts every outcome per ticket and every breach of the contract as it happens. */
class Ledger {
  readonly given = new Map<Ticket, number>();
  readonly settled = new Map<Ticket, number>();
  readonly breaches: string[] = [];
  readonly failures: { key: string; reason: string }[] = [];
  written = 0;
  private unsettledCount = 0;

  constructor(private readonly nodeNames: () => readonly string[]) {}

  readonly report: WriteReport = {
    written: (ticket, keys, stale, node) => {
      if (!this.nodeNames().includes(node)) this.breaches.push(`written on ${node}, not one of the writer's nodes`);
      if (stale > keys) this.breaches.push(`${stale} stale of ${keys} written`);
      this.written += keys;
      this.settle(ticket, keys);
    },
    skipped: (ticket, keys) => this.settle(ticket, keys),
    failed: (ticket, key, reason) => {
      if (reason.trim() === '') this.breaches.push(`${key} failed without a reason`);
      this.failures.push({ key, reason });
      this.settle(ticket, 1);
    },
    retry: () => undefined,
    nodeError: () => undefined,
    verified: () => undefined,
    planned: () => undefined,
  };

  private settle(ticket: Ticket, n: number): void {
    const given = this.given.get(ticket);
    if (given === undefined) {
      this.breaches.push(`settled a ticket it was not given (${ticket.entry}@${ticket.position})`);
      return;
    }
    const now = (this.settled.get(ticket) ?? 0) + n;
    if (now > given) this.breaches.push(`ticket ${ticket.entry}@${ticket.position}: ${now} settled of ${given} items`);
    this.settled.set(ticket, now);
    ticket.remaining -= n;
    this.unsettledCount -= n;
  }

  /** `keys` as one batch over `tickets` tickets, each with a `<key>:stale` copy for every tenth key. */
  batch(prefix: string, keys: number, tickets: number, value: (i: number) => string = (i) => `value-${prefix}-${i}`): WriteBatch {
    const own = Array.from({ length: tickets }, (_, t): Ticket => ({ entry: prefix, entryIndex: 0, position: t, remaining: 0, sealed: true }));
    const b: WriteBatch = { keys: [], values: [], ttls: [], stale: [], tickets: [], format: 'string', onlyMissing: false };
    for (let i = 0; i < keys; i++) {
      const ticket = own[Math.floor((i * tickets) / keys)] as Ticket;
      const copies = i % 10 === 0 ? [false, true] : [false];
      for (const stale of copies) {
        b.keys.push(stale ? `${prefix}:${i}:stale` : `${prefix}:${i}`);
        b.values.push(value(i));
        b.ttls.push(stale ? 120_000 : 60_000);
        b.stale.push(stale);
        b.tickets.push(ticket);
        ticket.remaining++;
        this.given.set(ticket, (this.given.get(ticket) ?? 0) + 1);
        this.unsettledCount++;
      }
    }
    return b;
  }

  unsettled(): number {
    return this.unsettledCount;
  }

  /** Tickets with items still open, as `entry@position settled/given`. */
  open(): string[] {
    return [...this.given].filter(([t, n]) => (this.settled.get(t) ?? 0) !== n).map(([t, n]) => `${t.entry}@${t.position} ${this.settled.get(t) ?? 0}/${n}`);
  }
}

function contract(impl: () => Implementation, failing?: () => Implementation & { expectFailures: RegExp }): void {
  async function withWriter(run: (ledger: Ledger, writer: CacheWriter) => Promise<void>, which: Implementation = impl()): Promise<void> {
    const opening: { writer?: CacheWriter } = {};
    const ledger = new Ledger(() => opening.writer?.nodeNames ?? []);
    const opened = await which.open(ledger.report);
    opening.writer = opened.writer;
    try {
      await run(ledger, opened.writer);
    } finally {
      await opened.close();
    }
  }

  test('every item settles exactly once, on its own ticket, on one of the writer nodes', async () => {
    await withWriter(async (ledger, writer) => {
      assert.ok(writer.nodeNames.length > 0);
      for (let b = 0; b < 12; b++) await writer.write(ledger.batch(`settle${b}`, 700, 1 + (b % 4)));
      await writer.drain();
      assert.deepEqual(ledger.breaches, []);
      assert.deepEqual(ledger.open(), []);
      assert.equal(ledger.written, 12 * (700 + 70));
      for (const ticket of ledger.given.keys()) assert.equal(ticket.remaining, 0);
    });
  });

  test(`backpressure: once write() resolves, at most ${impl().bound} items are unsettled, whatever was written before`, async () => {
    const { bound } = impl();
    await withWriter(async (ledger, writer) => {
      const seen: number[] = [];
      for (let b = 0; b < 8; b++) {
        await writer.write(ledger.batch(`bp${b}`, BATCH, 2));
        seen.push(ledger.unsettled());
      }
      assert.ok(
        seen.every((n) => n <= bound),
        `unsettled after each write: ${seen.join(', ')}`,
      );
      await writer.drain();
      assert.deepEqual(ledger.breaches, []);
      assert.deepEqual(ledger.open(), []);
    });
  });

  test('drain resolves only when every item is settled, also when called twice at once, and at once when idle', async () => {
    await withWriter(async (ledger, writer) => {
      await writer.drain();
      const atDrain: number[] = [];
      const writes = (async () => {
        for (let b = 0; b < 4; b++) await writer.write(ledger.batch(`drain${b}`, 900, 3));
      })();
      await writes;
      await Promise.all([writer.drain().then(() => atDrain.push(ledger.unsettled())), writer.drain().then(() => atDrain.push(ledger.unsettled()))]);
      assert.deepEqual(atDrain, [0, 0]);
      assert.deepEqual(ledger.open(), []);
      // A writer drained once takes more, and drains again.
      await writer.write(ledger.batch('again', 300, 1));
      await writer.drain();
      assert.equal(ledger.unsettled(), 0);
      assert.deepEqual(ledger.breaches, []);
    });
  });

  if (failing) {
    test('keys that fail settle too: each once, with a reason, and the rest is written', async () => {
      const which = failing();
      await withWriter(async (ledger, writer) => {
        for (let b = 0; b < 3; b++) await writer.write(ledger.batch(`fail${b}`, 400, 2, () => 'x'.repeat(8192)));
        await writer.drain();
        assert.deepEqual(ledger.breaches, []);
        assert.deepEqual(ledger.open(), []);
        assert.ok(ledger.failures.length > 0, 'the scenario makes some keys fail');
        assert.ok(ledger.written > 0, 'and some written');
        for (const f of ledger.failures) assert.match(f.reason, which.expectFailures, f.key);
        assert.equal(new Set(ledger.failures.map((f) => f.key)).size, ledger.failures.length, 'no key failed twice');
      }, which);
    });
  }
}

const CLUSTER_RANGES = [0, 1, 2].map((i) => ({
  start: i * 5461,
  end: i === 2 ? 16383 : i * 5461 + 5460,
  master: nodeFromAddress('10.1.0.1', 7000 + i),
  replicas: [],
}));

describe('CacheWriter contract: DryRunWriter on a single node', () => {
  contract(() => ({
    name: 'dry-run single',
    bound: 0,
    open: async (report) => ({ writer: new DryRunWriter(new SingleNodeTopology(nodeFromAddress('127.0.0.1', 6379)), report), close: async () => undefined }),
  }));
});

describe('CacheWriter contract: DryRunWriter on a 3-master cluster topology', () => {
  contract(
    () => ({
      name: 'dry-run cluster',
      bound: 0,
      open: async (report) => ({ writer: new DryRunWriter(new ClusterTopology(CLUSTER_RANGES), report), close: async () => undefined }),
    }),
    // Slots 10923-16383 served by nobody: their keys fail.
    () => ({
      name: 'dry-run cluster with unserved slots',
      bound: 0,
      expectFailures: /slot not served/,
      open: async (report) => ({ writer: new DryRunWriter(new ClusterTopology(CLUSTER_RANGES.slice(0, 2)), report), close: async () => undefined }),
    }),
  );
});

function pipelined(name: string, connect: () => Promise<CacheConnection>): Implementation {
  return {
    name,
    bound: PIPELINED_BOUND,
    async open(report) {
      const cache = await connect();
      const writer = new PipelinedWriter(cache, report, PIPELINE);
      return {
        writer,
        async close() {
          writer.close();
          await cache.close();
        },
      };
    },
  };
}

describe('CacheWriter contract: PipelinedWriter on a real single node', () => {
  let single: RedisProcess;
  let full: RedisProcess;
  before(async () => {
    // `full` refuses writes once 2 MB are used: OOM, a permanent error, for some of the keys.
    [single, full] = await Promise.all([startRedis(), startRedis({ args: ['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction'] })]);
  });
  after(async () => {
    await Promise.all([single?.stop(), full?.stop()]);
  });
  contract(
    () => pipelined('pipelined single', () => openCache(singleTarget(single.address))),
    () => ({ ...pipelined('pipelined single, out of memory', () => openCache(singleTarget(full.address))), expectFailures: /OOM/ }),
  );
});

describe('CacheWriter contract: PipelinedWriter on a real 3-master cluster', () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await startCluster(3);
  });
  after(async () => {
    await cluster?.stop();
  });
  contract(() =>
    pipelined('pipelined cluster', () => openCache({ kind: 'cluster', seeds: cluster.masters.map((m) => ({ host: '127.0.0.1', port: m.port })), auth: {} })),
  );
});
