/**
 * The warm's per-key CPU in the parts that are cachectl's own code, stage by stage, in process and
 * without sockets: decoding binary COPY rows, building write batches, routing them into per-node
 * lanes and taking pipelines, encoding the RESP, and reading the replies. Each stage runs over the
 * same rows several times and the fastest run counts, so the figures hold still on a shared
 * machine (a whole warm's rusage moved by up to 3 us per key between identical runs here). What
 * it leaves out, the whole warm in `cpu-per-key.ts` shows: socket system calls, promises, timers.
 *
 * `node --import tsx test/bench/hot-path.ts [rows] [repeats]`: rows come from the bench database's
 * products (loaded when missing), read once with COPY into memory.
 */
import { spawnSync } from 'node:child_process';
import RedisParser from 'redis-parser';
import { BinaryCopyDecoder, ByteRowBatch } from '../../src/adapters/postgres/pg-binary-copy.js';
import { byteRowsBatch, valueSizeProblem } from '../../src/core/warm/batch.js';
import { keyBytesProblem } from '../../src/core/warm/validate.js';
import { groupByOwner, owningNodes } from '../../src/core/warm/route.js';
import { ClusterTopology } from '../../src/topology/cluster.js';
import { encodedSizeHint, encodeWrite, type Items } from '../../src/adapters/redis/write-items.js';
import { LaneQueue } from '../../src/adapters/redis/lane-queue.js';
import { BufferPool, RespBuffer } from '../../src/adapters/redis/resp-buffer.js';
import { RespReplyParser } from '../../src/adapters/redis/resp-reply-parser.js';
import { firstError, Outcomes } from '../../src/adapters/redis/write-outcomes.js';
import type { Ticket, WriteBatch, WriteReport } from '../../src/core/warm/ports.js';
import type { WarmEntry } from '../../src/core/warm/types.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { createTestDatabase } from '../harness/postgres.js';
import { loadProducts, STREAM_SQL } from './dataset.js';

const n = Number(process.argv[2] ?? 200_000);
const repeats = Number(process.argv[3] ?? 7);

const db = await createTestDatabase('cachectl_hotpath');
let payload: Buffer;
try {
  await loadProducts(db.pool, n);
  // psql writes a COPY's payload to stdout as it comes: the bytes cachectl's reader hands the decoder.
  const copy = spawnSync('psql', [db.url, '-Atc', `COPY (${STREAM_SQL} ORDER BY id) TO STDOUT (FORMAT binary)`], { maxBuffer: 2 ** 31 });
  if (copy.status !== 0) throw new Error(`psql COPY failed: ${copy.stderr.toString()}`);
  payload = copy.stdout;
} finally {
  await db.drop();
}

const CHUNK = 64 * 1024;
const rowsPerBatch = DEFAULTS.warm.cursorRows;
const pipelineSize = DEFAULTS.warm.pipelineSize;
const entry = {
  name: 'bench',
  tier: 1,
  ttlMs: 3_600_000,
  jitter: 0,
  format: 'string',
  onlyMissing: false,
  source: { kind: 'query', sql: STREAM_SQL },
  origin: { file: '(bench)', line: 1 },
} as unknown as WarmEntry;
const rules = { maxKeyBytes: DEFAULTS.keys.maxKeyBytes, rejectControlChars: true };
const topology = new ClusterTopology([
  { start: 0, end: 5460, master: { host: '127.0.0.1', port: 7000 }, replicas: [] },
  { start: 5461, end: 10922, master: { host: '127.0.0.1', port: 7001 }, replicas: [] },
  { start: 10923, end: 16383, master: { host: '127.0.0.1', port: 7002 }, replicas: [] },
] as unknown as ConstructorParameters<typeof ClusterTopology>[0]);

const ticket: Ticket = { entry: 'bench', entryIndex: 0, position: 0, remaining: 0, sealed: false };
const random = () => 0.5;
const pool = new BufferPool();
const okReplies = Buffer.from('+OK\r\n'.repeat(pipelineSize));
const okList = new Array<unknown>(pipelineSize).fill('OK');
const report = {
  written: () => undefined,
  skipped: () => undefined,
  failed: () => undefined,
  retry: () => undefined,
  nodeError: () => undefined,
} as unknown as WriteReport;

/** The stages, in the order a row meets them; a run goes through the first `upTo` of them. */
const STAGES = [
  'decode binary COPY rows',
  'write batches (key rules, TTL)',
  'route into lanes, take pipelines',
  'encode RESP (SET key value PX ttl)',
  'parse replies',
  'settle outcomes',
] as const;

/**
 * Streams the payload through the first `upTo` stages, holding only what a warm holds (a batch of
 * rows, the lanes, a pipeline), so the garbage collector sees what it sees in a warm.
 */
function runThrough(upTo: number, parser: 'ours' | 'redis-parser' = 'ours'): number {
  const decoder = new BinaryCopyDecoder();
  const lanes = [new LaneQueue(), new LaneQueue(), new LaneQueue()];
  let rows = 0;
  let batch = new ByteRowBatch(rowsPerBatch);
  const flushRows = (rb: ByteRowBatch, last: boolean) => {
    rows += rb.count;
    if (upTo < 2) return;
    const wb = writeBatchOf(rb);
    if (upTo < 3) return;
    // What the writer's distribute does: one run of indexes per node.
    const { runs } = groupByOwner(owningNodes(topology, wb.keys, wb.chunks, wb.spans), lanes.length);
    runs.forEach((run, o) => (lanes[o] as LaneQueue).addFromBatch(wb, run));
    for (const lane of lanes) {
      while (lane.length >= pipelineSize || (last && lane.length > 0)) {
        const items = lane.take(pipelineSize, DEFAULTS.warm.pipelineBytes);
        if (upTo >= 4) pipelineOf(items, upTo, parser);
      }
    }
  };
  for (let at = 0; at < payload.length; at += CHUNK) {
    // A socket chunk is its own Buffer: rows keep it alive, as in a warm.
    const chunk = Buffer.from(payload.subarray(at, Math.min(payload.length, at + CHUNK)));
    decoder.pushRange(chunk, 0, chunk.length, batch);
    if (batch.count >= rowsPerBatch) {
      flushRows(batch, false);
      batch = new ByteRowBatch(rowsPerBatch);
    }
  }
  decoder.finish();
  flushRows(batch, true);
  return rows;
}

/** What the engine's byteBatch does with a batch of valid rows. */
function writeBatchOf(rb: ByteRowBatch): WriteBatch {
  const s = rb.spans;
  for (let r = 0; r < rb.count; r++) {
    if (keyBytesProblem(rb.chunks[r] as Buffer, s[4 * r] as number, s[4 * r + 1] as number, rules) !== undefined) throw new Error('bad key');
    if (valueSizeProblem(Math.max(0, s[4 * r + 3] as number), DEFAULTS.warm.maxValueBytes) !== undefined) throw new Error('value too large');
  }
  return byteRowsBatch(entry, ticket, rb.chunks, s, rb.count, random);
}

/** What the writer's send does with a pipeline, the socket aside. */
function pipelineOf(items: Items, upTo: number, parser: 'ours' | 'redis-parser'): void {
  const p = new RespBuffer(encodedSizeHint(items), pool);
  const ends: number[] = new Array(items.keys.length);
  const bytes: number[] = new Array(items.keys.length);
  for (let i = 0; i < items.keys.length; i++) {
    bytes[i] = encodeWrite(p, items, i, false);
    ends[i] = p.replies - 1;
  }
  p.release();
  if (upTo < 5) return;
  const replies: unknown[] = [];
  const push = (r: unknown) => replies.push(r);
  const answer = okReplies.subarray(0, 5 * items.keys.length);
  const parse =
    parser === 'ours' ? new RespReplyParser(push, () => undefined) : new RedisParser({ returnReply: push, returnError: push, returnFatalError: push });
  for (let at = 0; at < answer.length; at += CHUNK) parse.execute(answer.subarray(at, at + CHUNK));
  if (upTo < 6) return;
  const done = new Outcomes(report, '7000');
  for (let i = 0; i < items.keys.length; i++) {
    if (firstError(okList, ends[i] as number, ends[i] as number)) continue;
    done.write(items, i, bytes[i] as number);
  }
  done.flush();
}

let rows = 0;
function best(upTo: number, parser: 'ours' | 'redis-parser' = 'ours'): number {
  let min = Infinity;
  for (let r = 0; r < repeats + 1; r++) {
    const t = process.cpuUsage();
    rows = runThrough(upTo, parser);
    const used = process.cpuUsage(t);
    // The first run only warms the JIT up.
    if (r > 0) min = Math.min(min, (used.user + used.system) / rows);
  }
  return min;
}

const cumulative = STAGES.map((_, i) => best(i + 1));
const withRedisParser = best(5, 'redis-parser') - best(4);
process.stdout.write(`hot path, ${rows} rows of ${(payload.length / rows).toFixed(0)} B, best of ${repeats}, CPU us per key:\n`);
STAGES.forEach((name, i) => {
  const us = (cumulative[i] as number) - (i > 0 ? (cumulative[i - 1] as number) : 0);
  process.stdout.write(`  ${name.padEnd(40)} ${us.toFixed(3)}\n`);
});
process.stdout.write(`  ${'total'.padEnd(40)} ${(cumulative[STAGES.length - 1] as number).toFixed(3)}\n`);
process.stdout.write(`  ${'(parse replies with redis-parser)'.padEnd(40)} ${withRedisParser.toFixed(3)}\n`);
