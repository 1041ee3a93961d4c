import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { planFromFlags } from '../../src/commands/warm-plan.js';
import { StringSink } from '../../src/io.js';

const io = { stdout: new StringSink(), stderr: new StringSink(), stdin: process.stdin, env: {}, cwd: process.cwd(), signal: new AbortController().signal };
const CATALOG = join(process.cwd(), 'warmlists/catalog.yml');

test("--ttl wins over a warmlist's ttl: (defaults and entries) and the plan says which entries it replaced", () => {
  const plain = planFromFlags([CATALOG], {}, io);
  assert.deepEqual(plain.notes, []);
  assert.ok(plain.options.entries.some((e) => e.ttlMs === 3_600_000));
  const plan = planFromFlags([CATALOG], { ttl: '5m' }, io);
  assert.ok(
    plan.options.entries.every((e) => e.ttlMs === 300_000),
    'every entry has the flag TTL',
  );
  assert.equal(plan.notes.length, 1);
  assert.match(plan.notes[0] as string, /^--ttl 5m wins over the warmlist's `ttl:` of hot-products \(.*catalog\.yml:\d+\), categories /);
});

test('a flag equal to what the file says changes nothing and says nothing', () => {
  const plan = planFromFlags([CATALOG], { jitter: '10%' }, io);
  assert.deepEqual(plan.notes, []);
  const stale = planFromFlags([CATALOG], { stale: '1m' }, io);
  assert.ok(stale.options.entries.every((e) => e.staleMs === 60_000));
  assert.match(stale.notes.join('\n'), /^--stale 1m wins over the warmlist's `stale:` of hot-products/);
});

test('--rate cuts the default batch sizes to a quarter second of the rate; an explicit --batch-size wins; no rate keeps the defaults', () => {
  const plain = planFromFlags([CATALOG], {}, io).options;
  assert.equal(plain.batchSize, 2000);
  assert.equal(plain.cursorRows, 2000);
  const paced = planFromFlags([CATALOG], { rate: '400' }, io).options;
  assert.equal(paced.rate, 400);
  assert.equal(paced.batchSize, 100);
  assert.equal(paced.cursorRows, 100);
  assert.equal(planFromFlags([CATALOG], { rate: '1000000' }, io).options.batchSize, 2000);
  assert.equal(planFromFlags([CATALOG], { rate: '2' }, io).options.batchSize, 1);
  const explicit = planFromFlags([CATALOG], { rate: '400', batchSize: '700' }, io).options;
  assert.equal(explicit.batchSize, 700);
  assert.equal(explicit.cursorRows, 700);
});
