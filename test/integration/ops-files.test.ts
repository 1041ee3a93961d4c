import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointFile } from '../../src/adapters/files/checkpoint-file.js';
import { InputError } from '../../src/errors.js';
import { writeMetricsFile } from '../../src/adapters/files/metrics-file.js';
import { shardOf } from '../../src/core/run/shard.js';
import { shardQuery } from '../../src/core/run/query-wrap.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';

describe('checkpoint and metrics files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachectl-ops-files-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a checkpoint survives the process: a new run resumes exactly the lines not done', async () => {
    const path = join(dir, 'warm.checkpoint');
    const first = await CheckpointFile.open(path, 'fp-1');
    assert.equal(first.resumed, false);
    first.checkpoint.markLines('catalog#products', 1, 1000, [500]);
    await first.file.save();
    assert.deepEqual(readdirSync(dir), ['warm.checkpoint'], 'no temporary file left behind');
    // Simulates a crash: the first run never calls close(). The second run resumes.
    const second = await CheckpointFile.open(path, 'fp-1');
    assert.equal(second.resumed, true);
    assert.equal(second.checkpoint.isLineDone('catalog#products', 499), true);
    assert.equal(second.checkpoint.isLineDone('catalog#products', 500), false);
    second.checkpoint.markLines('catalog#products', 500, 500);
    second.checkpoint.markComplete('catalog#products');
    assert.equal(await second.file.close(true), 'deleted');
    assert.equal(existsSync(path), false, 'a run with nothing left deletes its checkpoint');
  });

  test('a checkpoint of another run definition, or a damaged one, is discarded with a reason', async () => {
    const path = join(dir, 'other.checkpoint');
    const a = await CheckpointFile.open(path, 'fp-a');
    a.checkpoint.markLines('e', 1, 10);
    assert.equal(await a.file.close(false), 'saved');
    const b = await CheckpointFile.open(path, 'fp-b');
    assert.equal(b.resumed, false);
    assert.match(b.discarded ?? '', /written for a different run/);
    assert.equal(b.checkpoint.isLineDone('e', 1), false);
    writeFileSync(path, '{"cachectl":"warm-checkpoint","version":2,"fingerprint":"fp-a","entries":{"e":{"kind":"keys"}}}');
    const c = await CheckpointFile.open(path, 'fp-a');
    assert.match(c.discarded ?? '', /entry 'e' is malformed/);
  });

  test('a file that is not a cachectl checkpoint is refused (exit 2) and never overwritten or deleted', async () => {
    for (const [name, text] of [
      ['my-catalog.yml', 'name: catalog\nentries:\n  - keys: hot.txt\n'],
      ['notes.json', '{"version":1,"fingerprint":"x"}\n'],
      ['list.json', '[1, 2, 3]\n'],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      await assert.rejects(
        CheckpointFile.open(path, 'fp'),
        (e: unknown) =>
          e instanceof InputError && e.exitCode === 2 && e.message.startsWith(`${path}: --checkpoint: this file is not a checkpoint cachectl wrote`),
      );
      assert.equal(readFileSync(path, 'utf8'), text, `${name} is untouched`);
    }
    // An empty file (mktemp) holds nothing to lose: it is used; a run that records nothing leaves no file.
    const empty = join(dir, 'empty.ckpt');
    writeFileSync(empty, '');
    const opened = await CheckpointFile.open(empty, 'fp');
    assert.equal(opened.resumed, false);
    const fresh = await CheckpointFile.open(join(dir, 'never.ckpt'), 'fp');
    assert.equal(await fresh.file.close(false), 'untouched');
    assert.equal(existsSync(join(dir, 'never.ckpt')), false);
  });

  test('the metrics file is replaced atomically and keeps the last success across a failed run', async () => {
    const path = join(dir, 'cachectl.prom');
    const base = { written: 100, failed: 0, missing: 0, invalid: 0, skipped: 0, durationSeconds: 2 };
    await writeMetricsFile(path, [{ ...base, warmlist: 'catalog', finishedAt: 1_700_000_000, exitCode: 0 }]);
    await writeMetricsFile(path, [{ ...base, warmlist: 'catalog', failed: 3, finishedAt: 1_700_000_600, exitCode: 1 }]);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog"\} 1700000000$/m);
    assert.match(text, /^cachectl_warm_last_run_timestamp_seconds\{warmlist="catalog"\} 1700000600$/m);
    assert.match(text, /^cachectl_warm_keys_failed\{warmlist="catalog"\} 3$/m);
    assert.ok(
      readdirSync(dir).every((f) => !f.endsWith('.tmp')),
      'no temporary file left behind',
    );
  });
});

describe('shards computed by PostgreSQL agree with cachectl', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('cachectl_ops');
    await seedCatalogue(db.pool, 300);
  });
  after(async () => db?.drop());

  test('each worker of --shard i/3 gets exactly the rows whose key hashes to i, with unicode keys too', async () => {
    const sql = "SELECT 'product:' || id || CASE WHEN id % 7 = 0 THEN ':é✓' ELSE '' END AS key, name AS value FROM products ORDER BY key";
    const all = (await db.pool.query<{ key: string }>(sql)).rows.map((r) => r.key);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const rows = (await db.pool.query<{ key: string }>(shardQuery(sql, { index: i, count: 3, source: 't' }))).rows.map((r) => r.key);
      for (const key of rows) assert.equal(shardOf(key, 3), i, `${key} hashed differently in PostgreSQL`);
      assert.deepEqual(
        rows,
        all.filter((k) => shardOf(k, 3) === i),
        "this share, in the query's own key order",
      );
      seen.push(...rows);
    }
    assert.deepEqual(seen.sort(), [...all].sort(), 'every row in exactly one shard');
  });
});
