import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { singleTarget } from '../../src/config/target.js';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import { parseRunControl as parseOperations, runNames, type RunControlPlan } from '../../src/core/run/plan.js';
import { positionCheckpoint } from '../../src/core/run/positions.js';
import { Checkpoint } from '../../src/core/run/checkpoint.js';
import type { RunOutcome } from '../../src/core/run/outcome.js';
import { closeCheckpoint, openCheckpoint, takeRunLocks, writeRunMetrics } from '../../src/commands/warm-control.js';
import { releaseRunLocks, type LockEvent } from '../../src/adapters/redis/run-lock.js';
import { PrefixHasher, type PrefixMark } from '../../src/core/prefix-hash.js';
import { LockedError, UsageError } from '../../src/errors.js';
import { StringSink, type IO } from '../../src/io.js';
import { Readable } from 'node:stream';
import { startRedis, type RedisProcess } from '../harness/redis.js';

function io(env: NodeJS.ProcessEnv = {}, signal = new AbortController().signal): IO {
  return { stdout: new StringSink(), stderr: new StringSink(), stdin: Readable.from([]), env, cwd: process.cwd(), signal };
}

test('operations flags are checked before anything connects', () => {
  const plan = parseOperations({ waitLock: '30s', deadline: '90s', shard: '1/4', logFormat: 'json' }, io(), 1000);
  assert.deepEqual(plan.lock, { enabled: true, waitMs: 30_000, ttlMs: 60_000 });
  assert.equal(plan.deadlineAt, 91_000);
  assert.deepEqual(plan.shard, { index: 1, count: 4, source: '--shard' });
  assert.equal(plan.logFormat, 'json');
  assert.throws(
    () => parseOperations({ lock: false, waitLock: '1m' }, io()),
    (e: unknown) => e instanceof UsageError && /--wait-lock/.test(e.message),
  );
  assert.throws(() => parseOperations({ lockTtl: '500ms' }, io()), /at least 1s/);
  assert.deepEqual(parseOperations({}, io({ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '3' })).shard, { index: 2, count: 3, source: 'JOB_COMPLETION_INDEX' });
  assert.match(
    parseOperations({ checkpoint: '/state/products.ckpt' }, io({ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '8' })).checkpointPath!,
    /^\/state\/products\.shard-2-of-8\.ckpt$/,
  );
  assert.equal(parseOperations({ checkpoint: '/state/products.ckpt' }, io()).checkpointPath, '/state/products.ckpt');
  assert.deepEqual(runNames(plan, ['warmlists/catalog.yml', 'b/users.yaml', 'x/catalog.yml'], {}), ['catalog', 'users']);
  assert.match(runNames(plan, [], { keys: 'hot.txt' })[0]!, /^adhoc-[0-9a-f]{8}$/);
  assert.notEqual(runNames(plan, [], { keys: 'hot.txt' })[0], runNames(plan, [], { keys: 'other.txt' })[0]);
});

test('positions: a failed key freezes the entry so a resumed run retries it', () => {
  const cp = new Checkpoint('fp', 'now');
  const sql = 'SELECT k AS key, v AS value FROM t ORDER BY key';
  const entries = [
    { name: 'hot', tier: 1, kind: 'keys' as const },
    { name: 'cats', tier: 2, kind: 'query' as const, sql },
    { name: 'loose', tier: 2, kind: 'query' as const, sql: 'SELECT k AS key, v AS value FROM t' },
  ];
  const hook = positionCheckpoint(cp, entries);
  const hasher = new PrefixHasher(100);
  const marks = new Map<number, PrefixMark>();
  for (let line = 1; line <= 1500; line++) {
    hasher.add(Buffer.from(`k:${line}\n`));
    hasher.endLine();
    if (line % 500 === 0) marks.set(line, hasher.mark());
  }
  const lines = (n: number) => ({ kind: 'lines' as const, mark: marks.get(n)! });
  assert.deepEqual(hook.resumeFrom('hot'), { position: 0 });
  hook.advance('hot', 500, lines(500));
  hook.advance('hot', 1000, lines(1000));
  hook.keyFailed('hot');
  hook.advance('hot', 1500, lines(1500));
  hook.entryDone('hot');
  assert.equal(cp.keyPrefixDone('hot'), 1000);
  assert.equal(cp.isComplete('hot'), false);
  hook.resumeFrom('cats');
  hook.advance('cats', 100, { kind: 'key', key: 'c:100', rowsBefore: 99 });
  hook.advance('cats', 250, { kind: 'key', key: 'c:250', rowsBefore: 249 });
  hook.resumeFrom('loose');
  hook.advance('loose', 100, { kind: 'key', key: 'l:100', rowsBefore: 99 });
  // Reloaded as a new run would see it.
  const again = positionCheckpoint(new Checkpoint('fp', 'now', cp.toData('now')), entries);
  assert.deepEqual(
    again.resumeFrom('hot'),
    { position: 1000, proof: marks.get(1000)!.proof() },
    'a key list resumes with the fingerprint of its first 1000 lines',
  );
  assert.deepEqual(again.resumeFrom('cats'), { position: 250, afterKey: 'c:250', rowsBefore: 249 }, 'a query ordered by key resumes at its last key');
  assert.deepEqual(again.resumeFrom('loose'), { position: 0 }, 'an unordered query restarts from its first row');
  const done = new Checkpoint('fp', 'now');
  const h = positionCheckpoint(done, entries);
  h.resumeFrom('hot');
  h.advance('hot', 500, lines(500));
  h.entryDone('hot');
  assert.deepEqual(positionCheckpoint(new Checkpoint('fp', 'now', done.toData('now')), entries).resumeFrom('hot'), { position: Number.MAX_SAFE_INTEGER });
});

describe('run control on a real Redis', () => {
  let redis: RedisProcess;
  let cache: CacheConnection;
  let dir: string;
  /** The run-control steps a warm takes (locks, then the checkpoint) and its finish, for a run with these names. */
  async function beginOperations(plan: RunControlPlan, o: { io: IO; names: string[]; warn: (m: string) => void; onLockEvent?: (e: LockEvent) => void }) {
    const run = { ...plan, names: o.names, entries: [], nameOf: () => o.names[0]! };
    const locks = await takeRunLocks(cache, run, o.io.signal, o.onLockEvent);
    const opened = await openCheckpoint(run, ':stale', o.io.cwd, o.warn).catch(async (e: unknown) => {
      await releaseRunLocks(locks);
      throw e;
    });
    return {
      resumed: opened?.resumed ?? false,
      checkpoint: opened?.file.checkpoint,
      async finish(outcome: (RunOutcome & { nothingLeft: boolean }) | undefined, warn: (m: string) => void) {
        if (opened) await closeCheckpoint(opened.file, outcome?.nothingLeft ?? false, warn);
        await releaseRunLocks(locks);
        if (outcome) await writeRunMetrics(run, 'redis', outcome, warn);
      },
    };
  }
  before(async () => {
    redis = await startRedis();
    cache = await openCache(singleTarget(`redis://127.0.0.1:${redis.port}`));
    dir = mkdtempSync(join(tmpdir(), 'cachectl-ops-'));
  });
  after(async () => {
    await cache?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('locks per warmlist and shard; finish releases them, writes metrics and keeps or deletes the checkpoint', async () => {
    const warn: string[] = [];
    const plan = parseOperations({ checkpoint: join(dir, 'cp.json'), metricsFile: join(dir, 'warm.prom'), shard: '0/2' }, io());
    const ops = await beginOperations(plan, { io: io(), names: ['users', 'catalog'], warn: (m) => warn.push(m) });
    const client = redis.client();
    assert.deepEqual((await client.keys('lock:*')).sort(), ['lock:cachectl:warm:catalog:shard-0-of-2', 'lock:cachectl:warm:users:shard-0-of-2']);
    // The other shard is independent; the same shard is refused and takes nothing.
    const other = await beginOperations(parseOperations({ shard: '1/2' }, io()), { io: io(), names: ['catalog'], warn: () => undefined });
    await assert.rejects(
      beginOperations(parseOperations({ shard: '0/2' }, io()), { io: io(), names: ['catalog', 'zeta'], warn: () => undefined }),
      (e: unknown) => e instanceof LockedError && /warmlist 'catalog \(shard 0\/2\)' is locked by /.test(e.message),
    );
    assert.equal(await client.exists('lock:cachectl:warm:zeta:shard-0-of-2'), 0, 'nothing left behind by the refused run');
    ops.checkpoint!.markLines('hot', 1, 10);
    const counts = { written: 9, failed: 1, missing: 0, invalid: 0, skipped: 0 };
    await ops.finish(
      {
        exitCode: 1,
        durationMs: 2500,
        nothingLeft: false,
        perName: new Map([
          ['catalog', counts],
          ['users', counts],
        ]),
      },
      (m) => warn.push(m),
    );
    await other.finish(undefined, () => undefined);
    assert.deepEqual(await client.keys('lock:*'), []);
    assert.equal(plan.checkpointPath, join(dir, 'cp.shard-0-of-2.json'), 'each shard has its own checkpoint');
    assert.ok(existsSync(plan.checkpointPath!), 'an incomplete run keeps its checkpoint');
    assert.ok(warn.some((w) => /progress saved to .*cp\.shard-0-of-2\.json/.test(w)));
    const prom = readFileSync(join(dir, 'warm.prom'), 'utf8');
    assert.match(prom, /^cachectl_warm_last_run_exit_code\{warmlist="users",topology="redis",shard="0\/2"\} 1$/m);
    assert.match(prom, /^cachectl_warm_duration_seconds\{warmlist="catalog",topology="redis",shard="0\/2"\} 2.5$/m);
    // The next run resumes, finishes, and removes the file.
    const next = await beginOperations(plan, { io: io(), names: ['users', 'catalog'], warn: (m) => warn.push(m) });
    assert.equal(next.resumed, true);
    assert.equal(next.checkpoint!.isLineDone('hot', 10), true);
    await next.finish({ exitCode: 0, durationMs: 1000, nothingLeft: true, perName: new Map([['catalog', counts]]) }, () => undefined);
    assert.equal(existsSync(plan.checkpointPath!), false);
  });

  test('SIGINT while waiting for a lock ends the wait with exit 130', async () => {
    const holder = await beginOperations(parseOperations({}, io()), { io: io(), names: ['busy'], warn: () => undefined });
    const ctl = new AbortController();
    const waiting = beginOperations(parseOperations({ waitLock: '1h' }, io()), {
      io: io({}, ctl.signal),
      names: ['busy'],
      warn: () => undefined,
      onLockEvent: (e) => e.action === 'waiting' && ctl.abort('SIGINT'),
    });
    await assert.rejects(waiting, (e: unknown) => e instanceof Error && 'exitCode' in e && e.exitCode === 130);
    await holder.finish(undefined, () => undefined);
  });
});
