import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import hdr from 'hdr-histogram-js';
import { esc, jsonForScript } from '../../src/reporters/html/escape.js';
import { CSP, htmlPage } from '../../src/reporters/html/page.js';
import { columnChart, niceTicks } from '../../src/reporters/html/svg.js';
import { herdPage, percentileX } from '../../src/reporters/html/herd-page.js';
import { ttlPage } from '../../src/reporters/html/inspect-page.js';
import { summarizeStrategy } from '../../src/core/herd/stats.js';
import { renderHistogramLog, renderPercentileDistribution } from '../../src/core/herd/latency-log.js';
import { bucketFor, originTimeline } from '../../src/core/herd/origin-timeline.js';
import { ExpiryCliffs } from '../../src/core/inspect/cliffs.js';
import { expiryTimeline } from '../../src/core/inspect/cluster-cliffs.js';
import type { ReadSample } from '../../src/core/herd/round.js';
import type { DrillResult } from '../../src/adapters/herd/drill.js';
import type { TtlReport } from '../../src/core/inspect/ttl.js';

const HOSTILE = ['</script><script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "'&amp;<!--", '\u2028\u2029', 'http://evil.example/x'];

/** The JSON data block of a page, parsed back. */
function dataOf(html: string): unknown {
  const m = /<script type="application\/json" id="cachectl-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'no data block');
  return JSON.parse(m[1]!);
}

/**
 * No element a browser would fetch from or run: only the data block is a <script>, no tag has a
 * src/href or an event handler, no tag names a URL. Text is escaped, so every raw `<` starts a real tag.
 */
function assertInert(html: string): void {
  const tags = html.match(/<[a-zA-Z!][^>]*>/g) ?? [];
  assert.equal(tags.filter((t) => /^<script\b/i.test(t)).length, 1, 'exactly one <script> (the data block)');
  for (const t of tags) {
    assert.doesNotMatch(t, /\s(src|href|xlink:href|action|formaction|srcset|poster)\s*=/i, t);
    assert.doesNotMatch(t, /\son[a-z]+\s*=/i, t);
    assert.doesNotMatch(t.replace('http-equiv', ''), /https?:|\/\/|url\(/i, t);
  }
  assert.doesNotMatch(html.slice(html.indexOf('<style>'), html.indexOf('</style>')), /url\(|@import/);
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`));
}

function samplesAt(release: number, latencies: number[]): ReadSample[] {
  return latencies.map((ms, i) => ({ client: i, key: 'k', intendedAt: release, startedAt: release, latencyMs: ms, result: { outcome: 'hit', lockWaits: 0 } }));
}

describe('report page building blocks', () => {
  test('escaping: text and attributes lose every markup character; the data block parses back to the same value and cannot close itself', () => {
    for (const s of HOSTILE) {
      assert.doesNotMatch(esc(s), /[<>"']/);
      const html = htmlPage({ title: s, subtitle: s, sections: [`<p>${esc(s)}</p>`], data: { s }, generatedAt: new Date(0) });
      assert.deepEqual(dataOf(html), { s });
      assertInert(html);
    }
    assert.doesNotMatch(jsonForScript('</script><!--'), /</);
  });

  test('nice axis ticks start at 0 and reach the maximum', () => {
    for (const max of [0, 1, 7, 10, 99, 100, 101, 12345, 0.3]) {
      const t = niceTicks(max);
      assert.equal(t[0], 0);
      assert.ok(t[t.length - 1]! >= max, `${max}: ${t}`);
      assert.ok(t.length <= 12);
    }
  });

  test('a column chart has one bar per value, each carrying its figure', () => {
    const svg = columnChart({
      name: 'c',
      title: 't',
      yLabel: 'y',
      values: [3, 0, 7],
      labels: HOSTILE.slice(0, 3),
      markers: [{ index: 2, label: HOSTILE[0]!, value: 7 }],
    });
    assert.deepEqual(
      [...svg.matchAll(/<rect class="bar"[^>]*data-value="([^"]*)"/g)].map((m) => Number(m[1])),
      [3, 0, 7],
    );
    assert.equal((svg.match(/<g class="marker"/g) ?? []).length, 1);
    assert.doesNotMatch(svg, /<script|<img/);
  });

  test('the percentile axis spaces 90, 99, 99.9 evenly and puts the max last', () => {
    assert.equal(percentileX(0), 0);
    assert.ok(Math.abs(percentileX(90) - 1) < 1e-9 && Math.abs(percentileX(99) - 2) < 1e-9);
    assert.equal(percentileX(100), 5);
  });
});

describe('herd: latency logs and the origin timeline', () => {
  const release = [1_700_000_000_000, 1_700_000_005_000];
  const latencies = [
    [1.5, 2, 2.5, 40, 300.25],
    [0.2, 9, 9, 9, 1200],
  ];
  const samples = release.flatMap((r, i) => samplesAt(r, latencies[i]!));
  const fetchStarts = [release[0]! + 1, release[0]! + 3, release[0]! + 3, release[1]! + 2, release[1]! + 250];
  const report = summarizeStrategy({
    strategy: 'none',
    rounds: 2,
    expiries: 2,
    samples,
    originQueries: 5,
    originQueriesTool: 5,
    originSource: 'sequence',
    perExpiry: [3, 2],
    releaseSkewMs: 0,
    skipped: 0,
    warnings: [],
    roundStarts: release,
    fetchStarts,
  });

  test('the interval log decodes back to the counts and percentiles of the summary', () => {
    const log = renderHistogramLog(report.latencyLog!, 'test\nsecond line');
    assert.match(log, /^#\[StartTime: 1700000000\.000 /m);
    assert.match(log, /^"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"$/m);
    const reader = new hdr.HistogramLogReader(log);
    const total = hdr.build();
    let intervals = 0;
    for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
      total.add(h);
      intervals++;
    }
    // Round 2 lasts longer than a second (its 1.2 s read): still one interval per intended second.
    assert.equal(intervals, 2);
    assert.equal(total.totalCount, report.latency.count);
    assert.equal(total.getValueAtPercentile(50) / 1000, report.latency.p50Ms);
    assert.equal(total.getValueAtPercentile(99) / 1000, report.latency.p99Ms);
    for (const d of report.latencyDistribution) assert.equal(total.getValueAtPercentile(d.percentile) / 1000, d.ms, `p${d.percentile}`);
    // The max's bucket top: within HdrHistogram's 3 significant digits of the exact max.
    assert.ok(Math.abs(total.maxValue / 1000 - report.latency.maxMs) <= report.latency.maxMs * 1e-3);
    const hgrm = renderPercentileDistribution(report.latencyLog!);
    assert.match(hgrm, /#\[Max\s+=\s+1200\.\d+, Total count\s+=\s+10\]/);
  });

  test("the timeline counts every fetch at its time after its own round's release", () => {
    const t = report.originTimeline!;
    assert.equal(t.bucketMs, bucketFor(250));
    assert.equal(
      t.counts.reduce((a, b) => a + b, 0),
      5,
    );
    assert.equal(t.counts[0], 4); // 1, 3, 3 and 2 ms after their release
    assert.equal(t.counts[Math.floor(250 / t.bucketMs)], 1);
    assert.ok(t.counts.length <= 100);
    assert.deepEqual(originTimeline([], []), { bucketMs: 1, counts: [] });
  });

  test('the page shows every strategy and carries the result as the data block', () => {
    const result = {
      runId: 'r',
      mode: 'herd',
      key: HOSTILE[0],
      keyCount: 1,
      topology: 'single',
      trigger: 'delete',
      clients: 5,
      processes: 1,
      rounds: 2,
      seed: 42,
      dbDelayMs: 0,
      ttlJitter: 0,
      originSource: 'sequence',
      colocation: [],
      reports: [report, { ...report, strategy: 'lock' }],
      warnings: [HOSTILE[1]],
      interrupted: false,
    } as unknown as DrillResult;
    const html = herdPage(result, new Date(0));
    assertInert(html);
    const data = dataOf(html) as { result: DrillResult };
    assert.equal(data.result.key, HOSTILE[0]);
    assert.equal(data.result.reports[0]!.latencyLog, undefined, 'the per-second histograms stay out, as in --json');
    assert.equal((html.match(/<g class="series" data-series=/g) ?? []).length, 4, 'latency and timeline lines for two strategies');
  });
});

describe('inspect: the cluster-wide expiry timeline', () => {
  test('counts every expiry from now to past the last cliff shown, in at most 120 buckets', () => {
    const now = 1_700_000_000_500;
    const all = new ExpiryCliffs();
    for (let i = 0; i < 300; i++) all.add(now + 600_000);
    for (let i = 0; i < 50; i++) all.add(now + 5_000_000);
    for (let i = 0; i < 7; i++) all.add(now + 30 * 86_400_000); // far beyond any window: off the chart
    const windows = all.top(2).map((w) => ({ ...w, spanMs: 1000, inMs: w.startMs - now, nodes: [] }));
    const t = expiryTimeline(all, windows, now)!;
    assert.ok(t.keys.length <= 121);
    assert.equal(t.startMs % t.bucketMs, 0);
    assert.ok(t.startMs <= now);
    assert.equal(
      t.keys.reduce((a, b) => a + b, 0),
      350,
    );
    assert.equal(t.later, 7);
    assert.equal(t.keys[Math.floor((now + 600_000 - t.startMs) / t.bucketMs)], 300);
    assert.equal(expiryTimeline(new ExpiryCliffs(), [], now), null);
  });

  test('hostile key and node names are escaped in the ttl page', () => {
    const node = {
      index: 0,
      name: HOSTILE[1]!,
      address: HOSTILE[1]!,
      status: 'ok',
      scanned: 1,
      keys: 1,
      withTtl: 0,
      noTtl: 1,
      vanished: 0,
      histogram: [],
      cliffs: [],
      cliffsExact: true,
    };
    const report = {
      view: 'ttl',
      topology: 'ring',
      source: 'scan',
      match: HOSTILE[0],
      durationMs: 1,
      nodes: [node],
      totals: { keys: 1, withTtl: 0, noTtl: 1, vanished: 0, missing: 0, unanswered: 0, types: {} },
      histogram: [{ bucket: '<1s', upToMs: 1000, keys: 0 }],
      cliffs: [],
      clusterCliffs: { windows: [], busiest10s: null, busiest60s: null, clock: [], timeline: null, exact: true },
      noTtlSample: HOSTILE,
    } as unknown as TtlReport;
    const html = ttlPage(report, new Date(0));
    assertInert(html);
    assert.deepEqual((dataOf(html) as { report: TtlReport }).report.noTtlSample, HOSTILE);
  });
});
