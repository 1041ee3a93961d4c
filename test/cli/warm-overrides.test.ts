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
