import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import type { Browser } from 'playwright-core';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { problemText, runCli } from '../harness/cli.js';
import { launchBrowser, openReport } from '../harness/browser.js';
import type { DrillResult } from '../../src/adapters/herd/drill.js';
import type { TtlReport } from '../../src/core/inspect/ttl.js';
import type { OverviewReport } from '../../src/core/inspect/overview.js';

/**
 * The report pages in a real browser: rendered from file:// with no console or page error and no
 * request, every chart present, and every figure (the data block, the bars, the lines, the table
 * cells) equal to what the same run printed with --json. The HdrHistogram logs decode back to
 * the same counts and percentiles.
 */
describe('--report pages in headless Chromium, --hdr-out logs', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-report-'));
  const HOSTILE_NO_TTL = ['<script>globalThis.__pwned = 1</script>', '"><img src=x onerror="globalThis.__pwned = 2">', 'k&amp;<!--'];

  before(async () => {
    // The browser first: without one the test fails at once, before it has servers to stop.
    browser = await launchBrowser();
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_report')]);
    await seedCatalogue(db.pool, 50);
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop(), browser?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const numbersOf = async (locator: ReturnType<Awaited<ReturnType<typeof openReport>>['page']['locator']>, attribute: string) =>
    (await locator.evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attribute)).map(Number);

  test('herd: the page and the logs show the numbers of --json', async () => {
    const page = join(dir, 'herd.html');
    const logs = join(dir, 'hdr');
    const r = await runCli([
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--key',
      'product:{7}',
      '--fetch',
      'SELECT * FROM products WHERE id = $1',
      '--clients',
      '40',
      '--rounds',
      '2',
      '--strategy',
      'none,lock,coalesce',
      '--db-delay',
      '20ms',
      '--json',
      '--report',
      page,
      '--hdr-out',
      logs,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { assertions: _a, ...json } = JSON.parse(r.stdout) as DrillResult & { assertions: unknown };
    assert.match(r.stderr, /wrote report .*herd\.html/);

    const { page: p, problems, requests } = await openReport(browser, page);
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, []);
      assert.match((await p.locator('h1').textContent()) ?? '', /product:\{7\}/);
      // The data block is the --json result itself.
      const data = JSON.parse((await p.locator('#cachectl-data').textContent()) ?? '') as { kind: string; result: DrillResult };
      assert.equal(data.kind, 'herd');
      assert.deepEqual(data.result, json);

      const bars = p.locator('svg[data-chart="origin-queries"] rect.bar');
      assert.deepEqual(
        await numbersOf(bars, 'data-value'),
        json.reports.map((x) => x.originQueries),
      );
      const box = await p.locator('svg[data-chart="latency"]').boundingBox();
      assert.ok(box && box.width > 300 && box.height > 100, `the latency chart is not laid out: ${JSON.stringify(box)}`);
      const rows = p.locator('table[data-table="strategies"] tbody tr');
      assert.equal(await rows.count(), json.reports.length);
      for (const [i, report] of json.reports.entries()) {
        const cells = await rows
          .nth(i)
          .locator('td')
          .evaluateAll((tds) => tds.map((td) => ({ text: td.textContent, value: td.getAttribute('data-value') })));
        assert.equal(cells[0]?.text, report.strategy);
        assert.equal(Number(cells[1]?.value), report.originQueries);
        assert.equal(cells[1]?.text, String(report.originQueries));
        assert.equal(Number(cells[7]?.value), report.latency.p99Ms);
        assert.equal(Number(cells[8]?.value), report.latency.maxMs);
        assert.equal(Number(cells[10]?.value), report.errors);

        const line = p.locator(`svg[data-chart="latency"] g.series[data-series="${report.strategy}"]`);
        assert.deepEqual(
          JSON.parse((await line.getAttribute('data-y')) ?? ''),
          report.latencyDistribution.map((d) => d.ms),
        );
        assert.equal(report.latencyDistribution.find((d) => d.percentile === 99)?.ms, report.latency.p99Ms);
        // The timeline ends at every fetch the clients sent (the tool's count), which equals PostgreSQL's here.
        const cumulative = JSON.parse(
          (await p.locator(`svg[data-chart="origin-timeline"] g.series[data-series="${report.strategy}"]`).getAttribute('data-y')) ?? '',
        ) as number[];
        assert.equal(cumulative[cumulative.length - 1], report.originQueriesTool);
        assert.equal(
          report.originTimeline!.counts.reduce((a, b) => a + b, 0),
          report.originQueries,
        );
      }
    } finally {
      await p.close();
    }

    assert.deepEqual(readdirSync(logs).sort(), ['coalesce.hgrm', 'coalesce.hlog', 'lock.hgrm', 'lock.hlog', 'none.hgrm', 'none.hlog']);
    for (const report of json.reports) {
      const text = readFileSync(join(logs, `${report.strategy}.hlog`), 'utf8');
      assert.match(text, /^#\[StartTime: \d+\.\d{3} /m);
      const reader = new hdr.HistogramLogReader(text);
      const total = hdr.build();
      let intervals = 0;
      for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
        total.add(h);
        intervals++;
      }
      assert.equal(intervals, 2, `${report.strategy}: one interval per round`);
      assert.equal(total.totalCount, report.latency.count);
      assert.equal(total.totalCount, report.requests);
      for (const [p, ms] of [
        [50, report.latency.p50Ms],
        [95, report.latency.p95Ms],
        [99, report.latency.p99Ms],
      ] as const)
        assert.equal(total.getValueAtPercentile(p) / 1000, ms, `${report.strategy} p${p}`);
      assert.ok(Math.abs(total.maxValue / 1000 - report.latency.maxMs) <= report.latency.maxMs * 1e-3);
      const hgrm = readFileSync(join(logs, `${report.strategy}.hgrm`), 'utf8');
      assert.match(hgrm, new RegExp(`Total count\\s+=\\s+${report.latency.count}\\]`));
    }
  });

  test('inspect ttl and the overview: histogram, cliff timeline and verdicts as in --json; hostile key names shown, not run', async () => {
    const client = redis.client();
    await client.flushall();
    const cliffSecond = (Math.floor(Date.now() / 1000) + 600) * 1000;
    const batch = client.pipeline();
    for (let i = 0; i < 300; i++) batch.set(`product:${i}`, 'v', 'PXAT', cliffSecond + 100);
    for (let i = 0; i < 40; i++) batch.set(`session:${i}`, 'v', 'EX', 3600 + i);
    for (const k of HOSTILE_NO_TTL) batch.set(k, 'v');
    await batch.exec();
    const target = ['--redis', `redis://127.0.0.1:${redis.port}`];

    const ttlPath = join(dir, 'ttl.html');
    const r = await runCli(['inspect', 'ttl', ...target, '--json', '--report', ttlPath]);
    assert.equal(r.code, 0, r.stderr);
    const { failOn: _f, ...json } = JSON.parse(r.stdout) as TtlReport & { failOn: unknown };
    const { page: p, problems, requests } = await openReport(browser, ttlPath);
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, []);
      const data = JSON.parse((await p.locator('#cachectl-data').textContent()) ?? '') as { kind: string; report: TtlReport };
      assert.equal(data.kind, 'ttl');
      assert.deepEqual(data.report, json);
      assert.deepEqual(
        await numbersOf(p.locator('svg[data-chart="ttl-histogram"] rect.bar'), 'data-value'),
        json.histogram.map((b) => b.keys),
      );
      const timeline = json.clusterCliffs.timeline!;
      assert.deepEqual(await numbersOf(p.locator('svg[data-chart="cliff-timeline"] rect.bar'), 'data-value'), timeline.keys);
      // The chart ends past the cliff: the sessions (an hour out, one per second) are counted as later.
      assert.equal(timeline.keys.reduce((a, b) => a + b, 0) + timeline.later, 340);
      assert.ok(timeline.keys.reduce((a, b) => a + b, 0) >= 300);
      const markers = p.locator('svg[data-chart="cliff-timeline"] g.marker');
      assert.deepEqual(
        await numbersOf(markers, 'data-value'),
        json.clusterCliffs.windows.map((w) => w.keys),
      );
      assert.equal(json.clusterCliffs.windows[0]?.startMs, cliffSecond);
      assert.equal(json.clusterCliffs.windows[0]?.keys, 300);
      assert.deepEqual(await numbersOf(markers, 'data-index'), [Math.floor((cliffSecond - timeline.startMs) / timeline.bucketMs)]);
      // The keys are shown as they are, as text: nothing in them ran or became an element.
      assert.deepEqual((await p.locator('ul.keys li').allTextContents()).sort(), [...HOSTILE_NO_TTL].sort());
      assert.equal(await p.locator('img').count(), 0);
      assert.equal(await p.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    } finally {
      await p.close();
    }

    const overviewPath = join(dir, 'overview.html');
    const o = await runCli(['inspect', ...target, '--json', '--report', overviewPath]);
    assert.equal(o.code, 0, o.stderr);
    const { failOn: _g, ...overview } = JSON.parse(o.stdout) as OverviewReport & { failOn: unknown };
    const loaded = await openReport(browser, overviewPath);
    try {
      assert.deepEqual(loaded.problems, []);
      const data = JSON.parse((await loaded.page.locator('#cachectl-data').textContent()) ?? '') as { kind: string; report: OverviewReport };
      assert.deepEqual(data.report, overview);
      const verdicts = loaded.page.locator('ul.verdicts li');
      assert.deepEqual(
        await verdicts.evaluateAll((li) => li.map((e) => e.getAttribute('data-kind'))),
        overview.verdicts.map((v) => v.kind),
      );
      assert.ok(
        overview.verdicts.some((v) => v.kind === 'no-ttl'),
        'the keys without TTL are a verdict',
      );
      assert.deepEqual(
        await numbersOf(loaded.page.locator('svg[data-chart="ttl-histogram"] rect.bar'), 'data-value'),
        overview.ttl.histogram.map((b) => b.keys),
      );
      assert.equal(await loaded.page.locator('svg[data-chart="cliff-timeline"] rect.bar').count(), overview.ttl.clusterCliffs.timeline!.keys.length);
    } finally {
      await loaded.page.close();
    }
  });

  test('an unwritable --report or --hdr-out is one line and exit 2, before anything runs', async () => {
    const herd = [
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--key',
      'item:3',
      '--fetch',
      'SELECT * FROM products WHERE id = $1',
      '--clients',
      '2',
    ];
    const missing = await runCli([...herd, '--report', join(dir, 'no-such-dir', 'x.html')]);
    assert.equal(missing.code, 2);
    assert.equal(
      problemText(missing.stderr).trim(),
      `cachectl: --report: cannot write ${join(dir, 'no-such-dir', 'x.html')}: the directory ${join(dir, 'no-such-dir')} does not exist`,
    );
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, 'x');
    const notDir = await runCli([...herd, '--hdr-out', aFile]);
    assert.equal(notDir.code, 2);
    assert.equal(problemText(notDir.stderr).trim(), `cachectl: --hdr-out: cannot write into ${aFile}: it exists and is not a directory`);
    const isDir = await runCli(['inspect', 'ttl', '--redis', `redis://127.0.0.1:${redis.port}`, '--report', dir]);
    assert.equal(isDir.code, 2);
    assert.equal(problemText(isDir.stderr).trim(), `cachectl: --report: cannot write ${dir}: it is a directory`);
    const watching = await runCli(['inspect', '--redis', `redis://127.0.0.1:${redis.port}`, '--watch', '1s', '--report', join(dir, 'w.html')]);
    assert.equal(watching.code, 2);
    assert.match(problemText(watching.stderr).trim(), /^cachectl: --report writes the page of one scan and does not combine with --watch/);
    const http = await runCli([
      'herd',
      '--url',
      'http://127.0.0.1:9/',
      '--invalidate',
      'k',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--report',
      join(dir, 'h.html'),
    ]);
    assert.equal(http.code, 2);
    assert.match(problemText(http.stderr).trim(), /^cachectl: --report charts a cache-aside drill/);
    // Nothing ran: no drill connected, no scan wrote a page, and the key the drill would have primed is absent.
    for (const x of [missing, notDir, isDir, watching, http]) assert.doesNotMatch(x.stderr, /connected|wrote/);
    assert.equal(await redis.client().exists('item:3'), 0);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.html') && !['herd.html', 'ttl.html', 'overview.html'].includes(f)),
      [],
    );
  });
});
