import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, countEpisodes, type SimulationInput } from '../../src/core/herd/sim/simulate.js';
import { predictOpenLoop, xfetchProbability } from '../../src/core/herd/model.js';

const settings = { ttlMs: 500, ttlJitter: 0, beta: 1, lockTtlMs: 5_000, lockWaitMs: 5_000, lockPollMs: 5, lockPollMaxMs: 50, onLockTimeout: 'stale' as const, staleWindowMs: 30_000, stampedeWindowMs: 5_000, breakerThreshold: 5, breakerTimeoutMs: 1_000 };
const base: SimulationInput = {
  strategies: ['none', 'xfetch', 'lock'],
  mode: 'open',
  clients: 1,
  processes: 1,
  rounds: 1,
  trigger: 'delete',
  spreadMs: 0,
  expireInMs: 100,
  ratePerSec: 200,
  durationMs: 60_000,
  recomputeMs: 50,
  rttMs: 0.5,
  seed: 3,
  maxRequests: 100_000,
  settings,
};

test('open loop: the simulator lands near the model (none ~ 1 + rate x recompute time; xfetch near e at beta 1; lock 1)', async () => {
  const out = await simulate(base);
  const by = Object.fromEntries(out.map((s) => [s.report.strategy, s]));
  assert.equal(by.none!.predicted, 1 + 0.2 * 50);
  assert.ok(Math.abs(by.none!.report.amplification - by.none!.predicted) / by.none!.predicted < 0.3, `none ${by.none!.report.amplification}`);
  assert.ok(by.xfetch!.report.amplification < 3, `xfetch ${by.xfetch!.report.amplification}`);
  // About e at beta 1 whatever the rate (the first trigger's hazard is Exp(1)); ~120 episodes keep the noise well inside 0.6.
  assert.ok(Math.abs(by.xfetch!.report.amplification - by.xfetch!.predicted) < 0.6, `xfetch ${by.xfetch!.report.amplification} vs ${by.xfetch!.predicted}`);
  assert.equal(by.lock!.report.amplification, 1);
  // xfetch refreshes before expiry: its readers almost never wait for the database.
  assert.ok(by.xfetch!.report.latency.meanMs < by.none!.report.latency.meanMs / 2, `${by.xfetch!.report.latency.meanMs} vs ${by.none!.report.latency.meanMs}`);
});

test('herd mode: none sends every client, coalesce one per process, lock one', async () => {
  const out = await simulate({ ...base, mode: 'herd', clients: 40, processes: 3, strategies: ['none', 'coalesce', 'lock'] });
  assert.deepEqual(
    out.map((s) => [s.report.strategy, s.report.originQueries, s.predicted]),
    [
      ['none', 120, 120],
      ['coalesce', 3, 3],
      ['lock', 1, 1],
    ],
  );
});

test('the same seed gives the same simulation', async () => {
  const a = await simulate({ ...base, durationMs: 3_000, strategies: ['xfetch'] });
  const b = await simulate({ ...base, durationMs: 3_000, strategies: ['xfetch'] });
  assert.deepEqual(a[0]!.report, b[0]!.report);
});

test('model details: xfetch probability and episode counting', () => {
  assert.equal(xfetchProbability(0, 100, 1), 1);
  assert.ok(Math.abs(xfetchProbability(100, 100, 1) - Math.exp(-1)) < 1e-12);
  assert.equal(countEpisodes([0, 10, 200, 205], [50, 60, 250, 260]), 2);
  assert.equal(predictOpenLoop('coalesce', { ratePerSec: 1000, recomputeMs: 100, ttlMs: 1000, beta: 1, processes: 1 }), 1);
});
