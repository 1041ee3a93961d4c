import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeStrategy } from '../../src/core/herd/stats.js';
import { drillResult } from '../../src/core/herd/drill.js';
import { rankByOriginQueries } from '../../src/core/herd/ranking.js';
import { drillJson, renderDrillText } from '../../src/reporters/herd.js';
import { Chalk } from 'chalk';
import type { DrillResult, DrillSpec } from '../../src/core/herd/drill-types.js';
import type { StrategyName } from '../../src/core/herd/types.js';

const plain = new Chalk({ level: 0 });

/** An open-loop report with the figures a real run gave: early-simple refreshes early, in many small episodes. */
function report(strategy: StrategyName, originQueries: number, episodes: number) {
  return summarizeStrategy({
    strategy,
    rounds: 1,
    expiries: episodes,
    samples: [],
    originQueries,
    originQueriesTool: originQueries,
    originSource: 'sequence',
    perExpiry: [],
    releaseSkewMs: 0,
    skipped: 0,
    warnings: [],
  });
}

const spec: DrillSpec = {
  keys: ['product:42'],
  clients: 10,
  processes: 1,
  rounds: 1,
  strategies: ['none', 'early-simple', 'xfetch'],
  trigger: 'delete',
  expireInMs: 100,
  spreadMs: 0,
  prime: true,
  openLoop: { ratePerSec: 200, durationMs: 60_000, maxRequests: 100_000 },
  dbDelayMs: 20,
  seed: 42,
  settings: {
    ttlMs: 1000,
    ttlJitter: 0,
    beta: 1,
    lockTtlMs: 5000,
    lockWaitMs: 5000,
    lockPollMs: 5,
    lockPollMaxMs: 50,
    onLockTimeout: 'stale',
    staleWindowMs: 30_000,
    stampedeWindowMs: 5000,
    breakerThreshold: 5,
    breakerTimeoutMs: 1000,
  },
};

function openLoopResult(): DrillResult {
  const reports = [report('none', 400, 60), report('early-simple', 173, 63), report('xfetch', 40, 13)];
  return drillResult(
    spec,
    { runId: 'abcd1234', topology: 'single', originSource: 'sequence', colocation: [], warnings: [], interrupted: false, planned: 12_000 },
    reports,
  );
}

test('strategies rank by the origin queries of the run, not by the figure per episode', () => {
  const result = openLoopResult();
  const [early, xfetch] = [result.reports[1]!, result.reports[2]!];
  // What misled: per episode alone puts early-simple first.
  assert.ok(early.amplification < xfetch.amplification, `${early.amplification} vs ${xfetch.amplification}`);
  assert.deepEqual(
    result.ranking.map((r) => [r.rank, r.strategy, r.originQueries]),
    [
      [1, 'xfetch', 40],
      [2, 'early-simple', 173],
      [3, 'none', 400],
    ],
  );
  assert.equal(result.ranking[1]!.perExpiry, 173 / 63);
});

test('open-loop text: rows in rank order, total origin queries beside the per-episode figure, and the ranking said', () => {
  const out = renderDrillText(openLoopResult(), plain);
  const lines = out.split('\n');
  assert.ok(
    lines.some((l) => l.startsWith('ranked by origin queries for the run (what the database paid), fewest first')),
    out,
  );
  const header = lines.find((l) => l.startsWith('strategy'))!;
  assert.match(header, /^strategy\s+origin q\s+per episode\s+worst/);
  const rows = lines.filter((l) => /^(none|early-simple|xfetch)\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 3));
  assert.deepEqual(rows, [
    ['xfetch', '40', '3.08'],
    ['early-simple', '173', '2.75'],
    ['none', '400', '6.67'],
  ]);
});

test('JSON carries the ranking; a herd (closed loop) keeps its table in the order asked and ranks the same way', () => {
  const json = JSON.parse(JSON.stringify(drillJson(openLoopResult(), []))) as DrillResult;
  assert.deepEqual(
    json.ranking.map((r) => r.strategy),
    ['xfetch', 'early-simple', 'none'],
  );

  const herd = { ...openLoopResult() };
  delete herd.openLoop;
  herd.mode = 'herd';
  const text = { text: renderDrillText(herd, plain) };
  assert.match(text.text, /^strategy\s+origin q\s+per expiry\s/m);
  const order = text.text
    .split('\n')
    .filter((l) => /^(none|early-simple|xfetch)\s/.test(l))
    .map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(order, ['none', 'early-simple', 'xfetch']);
  assert.deepEqual(
    rankByOriginQueries(herd.reports).map((r) => r.strategy),
    ['xfetch', 'early-simple', 'none'],
  );
});
