/**
 * The engine over in-memory ports (the pure orchestration: tiers, checkpoints, filters,
 * stop conditions). Real Postgres and Redis are exercised in test/integration/warm-*.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWarm, type WarmPorts } from '../../../src/core/warm/engine.js';
import { rowShape } from '../../../src/core/warm/values.js';
import { parsePattern } from '../../../src/core/warm/pattern.js';
import { FetchError, type CacheWriter, type WriteBatch, type WriteReport } from '../../../src/core/warm/ports.js';
import { summaryComplete } from '../../../src/core/warm/summary.js';
import { nothingLeft } from '../../../src/core/run/outcome.js';
import { InputError } from '../../../src/errors.js';
import type { WarmEntry, WarmOptions } from '../../../src/core/warm/types.js';
import type { WarmEvent } from '../../../src/core/warm/events.js';

function keysEntry(name: string, tier: number, keys: string[]): WarmEntry & { keys: string[] } {
  return {
    name,
    tier,
    ttlMs: 60_000,
    jitter: 0,
    format: 'string',
    onlyMissing: false,
    origin: {},
    keys,
    source: { kind: 'keys', keysFile: name, pattern: parsePattern('p:{id}'), fetch: 'f' },
  };
}

/** Settles writes asynchronously, a few at a time, recording the order keys were written in. */
class SlowWriter implements CacheWriter {
  readonly written: string[] = [];
  private pending: Promise<void>[] = [];
  readonly nodeNames = ['n1'];
  constructor(private readonly report: WriteReport) {}
  async write(batch: WriteBatch): Promise<void> {
    this.pending.push(
      new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => {
        for (let i = 0; i < batch.keys.length; i++) {
          this.written.push(batch.keys[i]!);
          this.report.written(batch.tickets[i]!, 1, batch.stale[i] ? 1 : 0, 'n1', 1);
        }
      }),
    );
  }
  async drain(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
  async finishVerify(): Promise<void> {}
}

function setup(entries: (WarmEntry & { keys: string[] })[], extra: Partial<WarmOptions> = {}) {
  const fetchedAt: string[] = [];
  let writer!: SlowWriter;
  const ports: WarmPorts = {
    keys: {
      async *open(entry, skip) {
        const keys = (entry as WarmEntry & { keys: string[] }).keys;
        for (let i = skip; i < keys.length; i += 2) yield { keys: keys.slice(i, i + 2), lines: [i + 1, i + 2].slice(0, keys.slice(i, i + 2).length) };
      },
      async count(entry) {
        return (entry as WarmEntry & { keys: string[] }).keys.length;
      },
    },
    rows: {
      async fetch(entry, params) {
        fetchedAt.push(`${entry.name}@${writer.written.length}`);
        const ids = params[0]!.filter((id) => id !== '404');
        return { rows: ids.map((id) => [id, `v${id}`]), shape: rowShape(['id', 'value']), invalid: [] };
      },
      async *stream() {},
      async estimate() {
        return undefined;
      },
    },
    writer: (report) => (writer = new SlowWriter(report)),
  };
  const options: WarmOptions = {
    entries,
    batchSize: 2,
    cursorRows: 2,
    pgConcurrency: 2,
    pipelineSize: 10,
    redisInFlight: 1,
    waitReplicas: 0,
    maxErrors: 10,
    retries: 0,
    retryBaseMs: 1,
    staleSuffix: ':stale',
    keyRules: { maxKeyBytes: 20, rejectControlChars: true },
    maxValueBytes: 100,
    dryRun: false,
    verify: 'none',
    progressIntervalMs: 60_000,
    ...extra,
  };
  const events: WarmEvent[] = [];
  return { run: () => runWarm(options, ports, (e) => events.push(e)), events, fetchedAt, writer: () => writer, ports };
}

test('all of tier 1 is written before tier 2 fetches anything', async () => {
  const t = setup([keysEntry('second', 2, ['p:5', 'p:6']), keysEntry('first', 1, ['p:1', 'p:2', 'p:3', 'p:4'])]);
  const summary = await t.run();
  assert.equal(summary.written, 6);
  assert.deepEqual(t.writer().written.slice(0, 4).sort(), ['p:1', 'p:2', 'p:3', 'p:4']);
  assert.ok(t.fetchedAt.includes('second@4'), t.fetchedAt.join(' '));
});

test('missing and invalid keys are counted and reported with their line; the checkpoint advances in order', async () => {
  const advanced: [string, number][] = [];
  const t = setup([keysEntry('e', 1, ['p:1', 'p:404', 'x:1', 'p:\u0007', 'p:5', 'p:1234567890123456789'])], {
    checkpoint: { resumeFrom: () => 0, advance: (e, p) => void advanced.push([e, p]), entryDone: () => undefined },
  });
  const summary = await t.run();
  assert.deepEqual([summary.written, summary.missing, summary.invalid], [2, 1, 3]);
  const failures = t.events.filter((e) => e.type === 'keyFailed');
  assert.deepEqual(
    failures.map((f) => f.type === 'keyFailed' && [f.key, f.kind, f.line]),
    [
      ['p:404', 'missing', 2],
      ['x:1', 'invalid', 3],
      ['p:\u0007', 'invalid', 4],
      ['p:1234567890123456789', 'invalid', 6],
    ],
  );
  const positions = advanced.map(([, p]) => p);
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
  );
  assert.equal(positions.at(-1), 6);
});

test('a key filter (for --shard) keeps only its keys; resume skips what is done', async () => {
  const t = setup([keysEntry('e', 1, ['p:1', 'p:2', 'p:3', 'p:4'])], {
    keyFilter: (k) => k !== 'p:3',
    checkpoint: { resumeFrom: () => 1, advance: () => undefined, entryDone: () => undefined },
  });
  await t.run();
  assert.deepEqual(t.writer().written.sort(), ['p:2', 'p:4']);
});

test('a passed deadline starts nothing and says so', async () => {
  const t = setup([keysEntry('e', 1, ['p:1', 'p:2'])], { deadline: 0 });
  const summary = await t.run();
  assert.equal(summary.written, 0);
  assert.equal(summary.stopped?.reason, 'deadline');
});

test('memory pressure stops the reading between batches, with its reason; what was read is written', async () => {
  let batches = 0;
  const t = setup([keysEntry('e', 1, ['p:1', 'p:2', 'p:3', 'p:4', 'p:5', 'p:6'])], {
    batchSize: 2,
    pgConcurrency: 1,
    memoryPressure: () => (++batches > 2 ? 'the JS heap is nearly full' : undefined),
  });
  const summary = await t.run();
  assert.equal(summary.stopped?.reason, 'memory');
  assert.equal(summary.stopped?.detail, 'the JS heap is nearly full');
  assert.deepEqual(t.writer().written.sort(), ['p:1', 'p:2', 'p:3', 'p:4']);
});

test('an early stop lists every key it did not attempt, in this entry and the entries after it; the counts add up', async () => {
  let batches = 0;
  const t = setup([keysEntry('e', 1, ['p:1', 'p:2', 'p:3', 'p:4', 'p:5', 'p:6']), keysEntry('later', 2, ['p:7', 'p:8', 'p:9'])], {
    batchSize: 2,
    pgConcurrency: 1,
    keyFilter: (k) => k !== 'p:8',
    memoryPressure: () => (++batches > 1 ? 'full' : undefined),
  });
  const summary = await t.run();
  assert.equal(summary.written, 2);
  // p:8 belongs to another shard: not this run's to account for.
  assert.equal(summary.notAttempted, 6);
  assert.equal(summary.written + summary.skipped + summary.missing + summary.invalid + summary.failed + summary.notAttempted, 8);
  const listed = t.events.flatMap((e) => (e.type === 'keyFailed' ? [[e.key, e.kind, e.reason, e.line]] : []));
  assert.deepEqual(listed, [
    ['p:3', 'notAttempted', 'not attempted: stopped by the memory guard', 3],
    ['p:4', 'notAttempted', 'not attempted: stopped by the memory guard', 4],
    ['p:5', 'notAttempted', 'not attempted: stopped by the memory guard', 5],
    ['p:6', 'notAttempted', 'not attempted: stopped by the memory guard', 6],
    ['p:7', 'notAttempted', 'not attempted: stopped by the memory guard', 1],
    ['p:9', 'notAttempted', 'not attempted: stopped by the memory guard', 3],
  ]);
  assert.equal(summary.entries['later']?.notAttempted, 2);
});

test('query entries never started say how many rows were left when their count is known', async () => {
  const query = (name: string, tier: number, count?: number): WarmEntry & { keys: string[] } => ({
    ...keysEntry(name, tier, []),
    source: { kind: 'query', sql: 'q', ...(count !== undefined ? { count } : {}) },
  });
  const t = setup([keysEntry('first', 1, ['p:1', 'p:2']), query('q1', 2, 10), query('q2', 2)], { deadline: 0 });
  const summary = await t.run();
  assert.equal(summary.notAttempted, 2);
  assert.deepEqual(summary.unread, [
    { entry: 'q1', source: 'query', rowsRead: 0, rowsLeft: 10 },
    { entry: 'q2', source: 'query', rowsRead: 0 },
  ]);
});

const engineOptions = {
  batchSize: 2,
  cursorRows: 2,
  pgConcurrency: 1,
  pipelineSize: 10,
  redisInFlight: 1,
  waitReplicas: 0,
  maxErrors: 10,
  retries: 0,
  retryBaseMs: 1,
  staleSuffix: ':s',
  keyRules: { maxKeyBytes: 20, rejectControlChars: true },
  maxValueBytes: 100,
  dryRun: false,
  verify: 'none',
  progressIntervalMs: 60_000,
} as const;

const countingWriter = (report: WriteReport): CacheWriter => ({
  nodeNames: ['n1'],
  async write(b) {
    for (let i = 0; i < b.keys.length; i++) report.written(b.tickets[i]!, 1, 0, 'n1', 1);
  },
  async drain() {},
  async finishVerify() {},
});

test('a query whose stream fails midway: its rest is named as unread with the error, no made-up key is listed, the run is incomplete', async () => {
  const entry: WarmEntry = {
    name: 'q',
    tier: 1,
    ttlMs: 60_000,
    jitter: 0,
    format: 'string',
    onlyMissing: false,
    origin: {},
    source: { kind: 'query', sql: 'q', count: 10 },
  };
  const ports: WarmPorts = {
    keys: { async *open() {}, count: async () => undefined },
    rows: {
      fetch: async () => assert.fail('no key list'),
      async *stream() {
        yield {
          rows: [
            ['k1', 'v'],
            ['k2', 'v'],
          ],
          shape: rowShape(['key', 'value']),
        };
        throw new FetchError('database unavailable: terminating connection', true);
      },
      estimate: async () => 10,
    },
    writer: countingWriter,
  };
  const events: WarmEvent[] = [];
  const summary = await runWarm({ ...engineOptions, entries: [entry] } as unknown as WarmOptions, ports, (e) => events.push(e));
  assert.equal(summary.written, 2);
  assert.equal(summary.failed, 0);
  assert.deepEqual(summary.unread, [{ entry: 'q', source: 'query', rowsRead: 2, rowsLeft: 8, error: 'database unavailable: terminating connection' }]);
  assert.deepEqual(
    events.filter((e) => e.type === 'keyFailed'),
    [],
    'nothing goes to --failed-keys',
  );
  assert.equal(summaryComplete(summary), false);
  assert.equal(nothingLeft(summary), false, 'a checkpoint is kept to resume from');
});

test('a run stopped by an unreadable key list lists the later keys as not attempted for that reason', async () => {
  const ports: WarmPorts = {
    keys: {
      async *open(e) {
        if (e.name === 'later') {
          yield { keys: ['p:7', 'p:8'], lines: [1, 2] };
          return;
        }
        yield { keys: ['p:1', 'p:2'], lines: [1, 2] };
        throw new InputError('e.txt:3: line longer than 64 KiB');
      },
      count: async () => undefined,
    },
    rows: {
      fetch: async (_e, params) => ({ rows: params[0]!.map((id) => [id, `v${id}`]), shape: rowShape(['id', 'value']), invalid: [] }),
      async *stream() {},
      estimate: async () => undefined,
    },
    writer: countingWriter,
  };
  const events: WarmEvent[] = [];
  const entries = [keysEntry('e', 1, []), keysEntry('later', 2, [])];
  const summary = await runWarm({ ...engineOptions, entries } as unknown as WarmOptions, ports, (e) => events.push(e));
  assert.equal(summary.stopped?.reason, 'input');
  const notAttempted = events.flatMap((e) => (e.type === 'keyFailed' && e.kind === 'notAttempted' ? [[e.key, e.reason]] : []));
  assert.deepEqual(notAttempted, [
    ['p:7', 'not attempted: stopped by an unreadable key list (e.txt:3: line longer than 64 KiB)'],
    ['p:8', 'not attempted: stopped by an unreadable key list (e.txt:3: line longer than 64 KiB)'],
  ]);
});

test('key-list values as bytes: a NULL value is written empty (0 bytes), a missing row is missing, an oversized value is invalid', async () => {
  const chunk = Buffer.from('xxhello' + 'y'.repeat(150));
  const written: { key: string; bytes: number }[] = [];
  const ports: WarmPorts = {
    keys: {
      async *open() {
        yield { keys: ['p:1', 'p:2', 'p:3', 'p:4'], lines: [1, 2, 3, 4] };
      },
      count: async () => 4,
    },
    rows: {
      fetch: async () => assert.fail('fetchBytes is used for string entries'),
      fetchBytes: async () => ({
        rows: [],
        // Rows for ids 1 (hello), 2 (NULL), 4 (150 bytes, over --max-value-bytes 100); none for 3.
        bytes: {
          count: 3,
          chunkList: [chunk],
          chunkOf: Int32Array.from([0, 0, 0]),
          valueSpans: Int32Array.from([2, 5, 0, -1, 7, 150]),
          cell: (r: number) => ['1', '2', '4'][r],
          textSpans: () => undefined,
        },
        shape: rowShape(['id', 'value']),
        invalid: [],
      }),
      async *stream() {},
      estimate: async () => undefined,
    },
    writer: (report) => ({
      nodeNames: ['n1'],
      async write(b) {
        for (let i = 0; i < b.keys.length; i++) {
          const length = (b.spans as number[])[4 * i + 3] as number;
          written.push({ key: b.keys[i]!, bytes: length });
          report.written(b.tickets[i]!, 1, 0, 'n1', length);
        }
      },
      async drain() {},
      async finishVerify() {},
    }),
  };
  const summary = await runWarm({ ...engineOptions, entries: [keysEntry('e', 1, [])] } as unknown as WarmOptions, ports, () => undefined);
  assert.deepEqual(written, [
    { key: 'p:1', bytes: 5 },
    { key: 'p:2', bytes: 0 },
  ]);
  assert.equal(summary.bytes, 5);
  assert.equal(summary.missing, 1);
  assert.equal(summary.invalid, 1);
});

test('without an explicit batch size, key-list fetches are sized by the bytes their rows took: small first, then what fits the budget', async () => {
  const keys = Array.from({ length: 60 }, (_, i) => `p:${i}`);
  const entry = keysEntry('big', 1, keys);
  const asked: number[] = [];
  const t = setup([entry], { batchSize: 10, pgConcurrency: 1, maxValueBytes: 1000, fetchBytes: { target: 1000, firstKeys: 2 } });
  const ports = t.ports;
  ports.keys.open = async function* (_e, _skip, _proof, size) {
    for (let i = 0; i < keys.length;) {
      const n = size ? size() : 10;
      asked.push(n);
      yield { keys: keys.slice(i, i + n), lines: keys.slice(i, i + n).map((_, j) => i + j + 1) };
      i += n;
    }
  };
  // Values of 200 characters: 1,000 bytes hold 4 rows (with their ids).
  ports.rows.fetch = async (_e, params) => ({ rows: params[0]!.map((id) => [id, 'x'.repeat(200)]), shape: rowShape(['id', 'value']), invalid: [] });
  const summary = await t.run();
  assert.equal(summary.written, 60);
  assert.equal(asked[0], 2);
  assert.ok(asked.length > 3 && asked.slice(2).every((n) => n === 4), asked.join(' '));
});
