import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { runCli } from '../harness/cli.js';
import { exitOf, spawnCli } from '../harness/spawn-cli.js';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

/**
 * The cache going down under load, on a real Redis (CLIENT PAUSE, or a relay refusing the
 * drill's connections) and a real PostgreSQL whose own sequence counts every origin query.
 */
describe('herd --trigger outage: the circuit breaker on real Redis + PostgreSQL', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  const FETCH = "SELECT p.*, nextval('outage_fetches') AS fetch_no FROM products p WHERE p.id = $1";
  const OUTAGE_MS = 2_000;
  const REDIS_TIMEOUT_MS = 200;
  const BREAKER_TIMEOUT_MS = 500;
  // Timers run late on a loaded 2-core machine; the bounds below allow this much on top.
  const SLACK_MS = 500;

  before(async () => {
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_outage')]);
    await seedCatalogue(db.pool, 50);
    await db.pool.query('CREATE SEQUENCE outage_fetches');
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  async function counted(): Promise<number> {
    const { rows } = await db.pool.query<{ n: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM outage_fetches');
    return Number(rows[0]!.n);
  }

  const common = [
    '--redis-timeout',
    `${REDIS_TIMEOUT_MS}ms`,
    '--breaker-timeout',
    `${BREAKER_TIMEOUT_MS}ms`,
    '--breaker-threshold',
    '5',
    '--rate',
    '100',
    '--db-delay',
    '20ms',
    '--clients',
    '50',
  ];

  async function drill(args: string[], signal?: AbortSignal): Promise<{ code: number; result: DrillResult; counted: number; stderr: string; stdout: string }> {
    const before = await counted();
    const r = await runCli(
      ['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--fetch', FETCH, ...common, ...args],
      signal ? { signal } : {},
    );
    const json = r.stdout.startsWith('{') ? (JSON.parse(r.stdout) as DrillResult) : (undefined as unknown as DrillResult);
    return { code: r.code, result: json, counted: (await counted()) - before, stderr: r.stderr, stdout: r.stdout };
  }

  test('CLIENT PAUSE for 2s: none sends every read to PostgreSQL, the breaker opens within a Redis timeout and closes within a breaker timeout, coalescing cuts what reaches PostgreSQL', async () => {
    const c = redis.client();
    const {
      code,
      result,
      counted: pg,
      stderr,
    } = await drill(['--key', 'product:5', '--trigger', 'outage', '--outage', '2s', '--strategy', 'none,breaker,breaker+coalesce', '--yes', '--json']);
    assert.equal(code, 0, stderr);
    const [none, breaker, coalesced] = result.reports;
    // PostgreSQL's own count: the priming fetch plus every origin query the drill reports.
    assert.equal(pg, 1 + none!.originQueries + breaker!.originQueries + coalesced!.originQueries);
    for (const r of result.reports) {
      const o = r.outage!;
      assert.equal(r.originQueries, r.originQueriesTool, `${r.strategy}: database and tool disagree`);
      assert.equal(o.originBefore + o.originDuring + o.originAfter, r.originQueries, `${r.strategy}: before + during + after`);
      assert.equal(o.originBefore, 0, `${r.strategy}: the key is warm before the outage`);
      assert.equal(r.errors, 0, `${r.strategy}: every read falls back to PostgreSQL`);
    }
    // 100 reads/s for 2s: without a breaker each of them waits out its timeout, then queries
    // (a fallback that starts late, past the outage's end, counts as after it).
    assert.ok(none!.outcomes.fallback >= 150, `none: ${none!.outcomes.fallback} fallbacks`);
    assert.ok(none!.outage!.originDuring > 0);
    assert.ok(none!.latency.p99Ms >= REDIS_TIMEOUT_MS, `none p99 ${none!.latency.p99Ms}ms: reads should wait for the Redis timeout`);
    assert.equal(none!.outage!.breaker, undefined);

    const b = breaker!.outage!.breaker!;
    // Opens once the first reads' timeouts expire; closes at the first trial after the node is back.
    assert.ok(
      b.openedAfterMs !== null && b.openedAfterMs >= REDIS_TIMEOUT_MS - 20 && b.openedAfterMs <= REDIS_TIMEOUT_MS + SLACK_MS,
      `opened after ${b.openedAfterMs}ms`,
    );
    assert.ok(b.closedAfterMs !== null && b.closedAfterMs <= BREAKER_TIMEOUT_MS + REDIS_TIMEOUT_MS + SLACK_MS, `closed ${b.closedAfterMs}ms after the outage`);
    const notClosed = b.openMs + b.halfOpenMs;
    const expected = OUTAGE_MS - b.openedAfterMs!;
    assert.ok(
      notClosed >= expected - 50 && notClosed <= expected + BREAKER_TIMEOUT_MS + REDIS_TIMEOUT_MS + SLACK_MS,
      `open + half-open ${notClosed}ms, outage ${expected}ms after opening`,
    );
    // Open, then (half-open, open) per failed trial, then half-open and closed: an odd count >= 3.
    assert.ok(b.transitions >= 3 && b.transitions % 2 === 1, `${b.transitions} transitions`);
    // While open every read goes straight to PostgreSQL: the read rate, without waiting for Redis.
    assert.ok(breaker!.outcomes.fallback >= 150, `breaker: ${breaker!.outcomes.fallback} fallbacks`);

    // Single flight per process: at most one query in flight, so far fewer than the reads.
    assert.equal(coalesced!.peakOriginConcurrency, 1);
    assert.ok(coalesced!.originQueries < breaker!.originQueries / 2, `coalesced ${coalesced!.originQueries} vs ${breaker!.originQueries}`);
    assert.ok(coalesced!.outage!.breaker!.openMs > 0);

    // Nothing left behind: the node answers at once, no scratch keys, no drill connections, no sequence.
    const started = Date.now();
    assert.equal(await c.ping(), 'PONG');
    assert.ok(Date.now() - started < 500);
    assert.deepEqual(await c.keys('cachectl:herd:*'), []);
    assert.equal(await c.exists('product:5'), 0);
    assert.doesNotMatch(String(await c.call('CLIENT', 'LIST')), /cachectl-herd-/);
    const { rows } = await db.pool.query("SELECT relname FROM pg_class WHERE relname LIKE 'cachectl_herd_%'");
    assert.deepEqual(rows, []);
  });

  test('pausing a node other clients use needs --yes; --outage-mode refuse needs none and never stalls the node', async () => {
    const c = redis.client();
    await c.ping();
    const refused = await drill(['--key', 'product:6', '--trigger', 'outage', '--outage', '2s', '--strategy', 'none']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /CLIENT PAUSE stalls every client of 127\.0\.0\.1:\d+, and \d+ other connections? (is|are) open there; confirm with --yes/);
    assert.equal(refused.counted, 0);

    // Another application keeps using the node while the drill's own connections are refused.
    let worst = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t = Date.now();
        await c.ping();
        worst = Math.max(worst, Date.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const {
      code,
      result,
      counted: pg,
      stderr,
    } = await drill(['--key', 'product:6', '--trigger', 'outage', '--outage', '2s', '--outage-mode', 'refuse', '--strategy', 'none,breaker', '--json']);
    probing = false;
    await probe;
    assert.equal(code, 0, stderr);
    assert.equal(result.outage?.mode, 'refuse');
    const [none, breaker] = result.reports;
    assert.equal(pg, 1 + none!.originQueries + breaker!.originQueries);
    assert.ok(none!.outcomes.fallback >= 150, `none: ${none!.outcomes.fallback} fallbacks`);
    assert.ok(breaker!.outage!.breaker!.openMs > 0);
    for (const r of result.reports) assert.equal(r.errors, 0, `${r.strategy}: ${JSON.stringify(r.errorMessages)}`);
    assert.ok(worst < 1_000, `the node itself stalled for ${worst}ms`);
    assert.doesNotMatch(String(await c.call('CLIENT', 'LIST')), /cachectl-herd-/);
  });

  test('Ctrl-C during a paused outage: exit 130, the pause ends at its deadline, the key is restored', async () => {
    const c = redis.client();
    await c.set('product:7', 'the app value', 'PX', 600_000);
    const abort = new AbortController();
    const started = Date.now();
    const running = drill(['--key', 'product:7', '--trigger', 'outage', '--outage', '4s', '--strategy', 'breaker', '--yes'], abort.signal);
    // The pause has begun once a second client's PING stalls for a second (a busy machine answers sooner).
    await waitFor(async () => {
      const probe = redis.client();
      try {
        return await Promise.race([probe.ping().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1_000))]);
      } finally {
        probe.disconnect();
      }
    }, 'the node to be paused');
    abort.abort('SIGINT');
    const r = await running;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /stopped early: partial results/);
    // Cleanup waited for the pause to end (it cannot be lifted early) and then restored the key.
    assert.ok(Date.now() - started >= 4_000);
    const t = Date.now();
    assert.equal(await c.get('product:7'), 'the app value');
    assert.ok(Date.now() - t < 500);
    assert.deepEqual(await c.keys('cachectl:herd:*'), []);
  });

  test(
    'a drill killed with SIGKILL mid-outage leaves no paused node and no connection: the pause ends at its deadline, the relay dies with the drill',
    { timeout: 60_000 },
    async () => {
      const c = redis.client();
      await c.ping();
      const base = ['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--fetch', FETCH, ...common, '--trigger', 'outage', '--outage', '3s'];
      const stalls = async (): Promise<boolean> => {
        const probe = redis.client();
        try {
          return await Promise.race([probe.ping().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1_000))]);
        } finally {
          probe.disconnect();
        }
      };
      const drillConnections = async () => (String(await c.call('CLIENT', 'LIST')).match(/name=cachectl-herd-/g) ?? []).length;

      // CLIENT PAUSE: killed while the node is paused, the node still answers again once the pause's 3s are up.
      const paused = spawnCli([...base, '--key', 'product:11', '--strategy', 'none', '--yes']);
      await waitFor(stalls, 'the node to be paused', 30_000);
      const killedAt = Date.now();
      paused.kill('SIGKILL');
      await exitOf(paused);
      assert.equal(await c.ping(), 'PONG');
      assert.ok(Date.now() - killedAt < 3_000 + SLACK_MS, `the node answered ${Date.now() - killedAt}ms after the kill`);
      await waitFor(async () => (await drillConnections()) === 0, "the dead drill's connections to close", 10_000);

      // The relay: killed during a refused outage, the node never stalled and keeps none of the drill's connections.
      await waitFor(async () => (await c.exists('cachectl:herd:run:product:12')) === 0, 'no marker on the second key', 1_000);
      const refused = spawnCli([...base, '--key', 'product:12', '--strategy', 'breaker', '--outage-mode', 'refuse']);
      // The clients' connections reach the node through the relay; the outage drops them (the drill's control connection stays).
      await waitFor(async () => (await drillConnections()) >= 10, 'the refuse drill to connect its clients', 30_000);
      await waitFor(async () => (await drillConnections()) < 10, 'the relay to refuse (the outage)', 30_000);
      refused.kill('SIGKILL');
      await exitOf(refused);
      const t = Date.now();
      assert.equal(await c.ping(), 'PONG');
      assert.ok(Date.now() - t < 500);
      await waitFor(async () => (await drillConnections()) === 0, "the dead drill's connections to close", 10_000);
      // What a killed drill leaves by design: its restore records (the next drill on the key uses them) and markers that expire.
      assert.equal(await c.exists('cachectl:herd:restore:product:11', 'cachectl:herd:restore:product:12'), 2);
      await c.del('cachectl:herd:restore:product:11', 'cachectl:herd:restore:product:12', 'cachectl:herd:run:product:11', 'cachectl:herd:run:product:12');
    },
  );

  test('--outage bounds: above 60s, or a --duration that ends before the outage does, is exit 2', async () => {
    const long = await drill(['--key', 'product:8', '--trigger', 'outage', '--outage', '2m', '--yes']);
    assert.equal(long.code, 2);
    assert.match(long.stderr, /--outage: 2m is too long; use at most 1m/);
    const short = await drill(['--key', 'product:8', '--trigger', 'outage', '--outage', '2s', '--duration', '2s', '--yes']);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--duration: the reads must go on after the outage ends/);
  });
});
