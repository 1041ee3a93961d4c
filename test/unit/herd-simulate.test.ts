import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, countEpisodes, type SimulationInput } from '../../src/core/herd/sim/simulate.js';
import { predictOpenLoop, xfetchProbability } from '../../src/core/herd/model.js';
import { writeOffsets, writeSpanMs } from '../../src/core/herd/schedule.js';
import { writeSchedule } from '../../src/core/herd/drill-plan.js';
import type { DrillSpec } from '../../src/core/herd/drill-types.js';
import { parseWrites } from '../../src/commands/herd-parse.js';
import { InputError, UsageError } from '../../src/errors.js';
import { readMeasured } from '../../src/adapters/files/drill-result-file.js';
import { renderSimulationText, simulationJson } from '../../src/reporters/herd.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const settings = {
  ttlMs: 500,
  ttlJitter: 0,
  beta: 1,
  lockTtlMs: 5_000,
  lockWaitMs: 5_000,
  lockPollMs: 5,
  lockPollMaxMs: 50,
  onLockTimeout: 'stale' as const,
  staleWindowMs: 30_000,
  stampedeWindowMs: 5_000,
  breakerThreshold: 5,
  breakerTimeoutMs: 1_000,
};
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

test('simulated outage: origin queries during it land near the model (none rate x (outage - timeout), breaker the read rate, coalesced one at a time)', async () => {
  const out = await simulate({
    ...base,
    strategies: ['none', 'breaker', 'breaker+coalesce'],
    ratePerSec: 100,
    durationMs: 6_000,
    recomputeMs: 20,
    settings: { ...settings, ttlMs: 60_000, breakerTimeoutMs: 500 },
    outage: { leadMs: 1_000, durationMs: 2_000, redisTimeoutMs: 200 },
  });
  for (const s of out) {
    const during = s.report.outage!.originDuring;
    assert.ok(s.predictedDuring !== undefined);
    assert.ok(Math.abs(during - s.predictedDuring) / s.predictedDuring < 0.2, `${s.report.strategy}: simulated ${during}, predicted ${s.predictedDuring}`);
  }
  assert.ok(out[1]!.report.outage!.breaker!.openMs > 1_000);
});

test('simulated L1 with 3 processes: at most one origin query per process; simulated writes: versioned never ends stale, lock sometimes', async () => {
  const l1 = await simulate({ ...base, mode: 'herd', strategies: ['none'], clients: 30, processes: 3, l1: { size: 10, ttlMs: 2_000 } });
  assert.equal(l1[0]!.predicted, 3);
  assert.equal(l1[0]!.report.originQueries, 3);
  const race = await simulate({
    ...base,
    mode: 'herd',
    strategies: ['lock', 'versioned'],
    clients: 10,
    rounds: 100,
    recomputeMs: 200,
    writesPerSec: 4,
    settings: { ...settings, ttlMs: 60_000 },
  });
  const [lock, versioned] = race;
  assert.ok(lock!.report.race!.staleRounds > 0 && lock!.report.race!.staleRounds < 100);
  assert.equal(versioned!.report.race!.staleRounds, 0);
  assert.equal(versioned!.predictedStaleRate, 0);
  assert.deepEqual(versioned!.report.race!.writesPerRound, lock!.report.race!.writesPerRound);
});

test('--writes: the drill and the simulator share one seeded schedule per round, and one parser', async () => {
  const spec = { race: { ratePerSec: 20, invalidate: 'delete', versionColumn: 'version' }, spreadMs: 50, dbDelayMs: 200, seed: 9 } as Pick<
    DrillSpec,
    'race' | 'spreadMs' | 'dbDelayMs' | 'seed'
  > as DrillSpec;
  const drilled = Array.from({ length: 12 }, (_, round) => writeSchedule(spec, round));
  // The span the herd reads and recomputes in: the spread plus two recompute times.
  assert.equal(writeSpanMs(50, 200), 450);
  assert.equal(writeSpanMs(0, 10), 100, 'at least 100ms');
  for (const offsets of drilled) assert.ok(offsets.every((t) => t >= 0 && t < 450));
  assert.notDeepEqual(drilled[0], drilled[1], 'seeded per round');
  assert.deepEqual(writeSchedule(spec, 3), writeOffsets(20, 50, 200, 9, 3));
  const [sim] = await simulate({
    ...base,
    mode: 'herd',
    strategies: ['lock'],
    clients: 5,
    rounds: 12,
    spreadMs: 50,
    recomputeMs: 200,
    seed: 9,
    writesPerSec: 20,
    settings: { ...settings, ttlMs: 60_000 },
  });
  assert.deepEqual(
    sim!.report.race!.writesPerRound,
    drilled.map((o) => o.length),
  );
  assert.equal(parseWrites('2.5'), 2.5);
  for (const bad of ['0', '-1', 'fast', 'Infinity'])
    assert.throws(
      () => parseWrites(bad),
      (e: unknown) => e instanceof UsageError && e.message === `--writes: '${bad}' must be updates per second above 0`,
    );
});

test("--measured: a drill's JSON gives amplification, origin queries during the outage and the stale rate, shown beside the model and the simulation", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-measured-'));
  try {
    const file = join(dir, 'drill.json');
    writeFileSync(
      file,
      JSON.stringify({
        reports: [
          { strategy: 'none', amplification: 180, outage: { originDuring: 171 } },
          { strategy: 'lock', amplification: 1.5, race: { staleRate: 0.4 } },
          { strategy: 'broken' },
        ],
      }),
    );
    const measured = readMeasured(file);
    assert.deepEqual(
      [...measured],
      [
        ['none', { amplification: 180, during: 171 }],
        ['lock', { amplification: 1.5, staleRate: 0.4 }],
      ],
    );
    writeFileSync(file, '{"strategies": []}');
    assert.throws(
      () => readMeasured(file),
      (e: unknown) => e instanceof InputError && /no "reports" array/.test(e.message),
    );

    const outage = await simulate({
      ...base,
      strategies: ['none'],
      ratePerSec: 50,
      durationMs: 3_000,
      recomputeMs: 20,
      settings: { ...settings, ttlMs: 60_000 },
      outage: { leadMs: 1_000, durationMs: 1_000, redisTimeoutMs: 200 },
    });
    const outageText = renderSimulationText(outage, measured, 'open');
    const [head, row] = outageText
      .split('\n')
      .slice(1, 3)
      .map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(head!.slice(0, 7), ['strategy', 'predicted', 'simulated', 'measured', 'pred. during', 'sim. during', 'meas. during']);
    assert.equal(row![3], '180');
    assert.equal(row![6], '171');

    const race = await simulate({
      ...base,
      mode: 'herd',
      strategies: ['lock'],
      clients: 5,
      rounds: 4,
      recomputeMs: 200,
      writesPerSec: 4,
      settings: { ...settings, ttlMs: 60_000 },
    });
    const raceText = renderSimulationText(race, measured, 'herd');
    const [rhead, rrow] = raceText
      .split('\n')
      .slice(1, 3)
      .map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(rhead!.slice(0, 7), ['strategy', 'predicted', 'simulated', 'measured', 'pred. stale', 'sim. stale', 'meas. stale']);
    assert.equal(rrow![6], '0.4');
    const json = simulationJson(race, measured, []) as { strategies: { measured?: number; measuredDetail?: unknown }[] };
    assert.equal(json.strategies[0]!.measured, 1.5);
    assert.deepEqual(json.strategies[0]!.measuredDetail, { amplification: 1.5, staleRate: 0.4 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
