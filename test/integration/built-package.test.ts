// The build (dist/, bundled by package.json's build script; `npm test` builds first) run as an
// operator runs it: bin/cachectl, as its own process. The rest of the suite runs src/ under tsx,
// so what only the bundle can get wrong is checked here: processes it starts by path, source maps,
// the order pg and its navigator shim evaluate in, and a warm end to end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { childEnv } from '../harness/spawn-cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = `${ROOT}bin/cachectl`;
/** Prints, on the child's exit, whether node's fetch (undici) was ever loaded. */
const REPORT_UNDICI = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => process.stderr.write('undici loaded: ' + process.moduleLoadList.some((m) => m.includes('undici')) + '\\n'))",
)}`;

/** The code caches of this file's runs: its own directory, not the user's. */
const CODE_CACHE = mkdtempSync(join(tmpdir(), 'cachectl-built-cache-'));

function bin(args: string[], env: NodeJS.ProcessEnv = {}, path = BIN): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path, args, { cwd: ROOT, env: { ...childEnv(), CACHECTL_CODE_CACHE: CODE_CACHE, ...env } }, (error, stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the built package (bin/cachectl, dist/)', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  before(async () => {
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_built')]);
    await seedCatalogue(db.pool, 200);
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
    rmSync(CODE_CACHE, { recursive: true, force: true });
  });

  test('--version is package.json version; the scripts started as processes are entries of the build', async () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
    const r = await bin(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
    assert.ok(existsSync(`${ROOT}dist/cli.cjs`) && existsSync(`${ROOT}dist/boot.js`), 'the CLI bundle and its loader');
    // One non-ASCII byte (a comment the build kept) makes V8 hold the whole source at two bytes a character.
    const nonAscii = readFileSync(`${ROOT}dist/cli.cjs`).findIndex((b) => b > 0x7f);
    assert.equal(nonAscii, -1, 'dist/cli.cjs is ASCII');
    for (const script of ['adapters/herd/worker-main', 'adapters/sandbox/pglite-server']) {
      assert.ok(existsSync(`${ROOT}dist/${script}.js`), `dist/${script}.js is missing: add src/${script}.ts to the build's entry points`);
    }
  });

  test('a streamed warm writes every key; pg evaluates with its navigator shim, so fetch is never loaded', async () => {
    const r = await bin(
      [
        'warm',
        '--query',
        "SELECT 'built:' || id AS key, name AS value FROM products",
        '--ttl',
        '1h',
        '--json',
        '--pg',
        db.url,
        '--redis',
        `127.0.0.1:${redis.port}`,
      ],
      { NODE_OPTIONS: `--import=${REPORT_UNDICI}` },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /undici loaded: false/);
    const client = new Redis({ port: redis.port, lazyConnect: true });
    try {
      await client.connect();
      assert.equal((await client.keys('built:*')).length, 200);
      const { rows } = await db.pool.query<{ name: string }>('SELECT name FROM products WHERE id = 7');
      assert.equal(await client.get('built:7'), rows[0]!.name);
      assert.ok((await client.pttl('built:7')) > 3_500_000);
    } finally {
      client.disconnect();
    }
  });

  test('a run leaves a code cache for its command, which the next run reads and keeps as it is', async () => {
    const cacheOf = (command: string) => readdirSync(CODE_CACHE).filter((f) => f.startsWith(`cli.cjs-${command}-`));
    const args = ['ring', 'locate', 'k:1', '--ring', '127.0.0.1:7100,127.0.0.1:7101'];
    const first = await bin(args);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'k:1\t127.0.0.1:7100\n');
    const [file] = cacheOf('ring');
    assert.ok(file, 'the first run wrote the cache');
    const written = statSync(join(CODE_CACHE, file)).mtimeMs;
    const second = await bin(args);
    assert.equal(second.stdout, first.stdout);
    // Rewritten only when absent or rejected by V8: the second run used it.
    assert.deepEqual(cacheOf('ring'), [file]);
    assert.equal(statSync(join(CODE_CACHE, file)).mtimeMs, written);
    // Turned off, nothing is written.
    const off = await bin(['ring', 'locate', 'k:2', '--ring', '127.0.0.1:7100'], { CACHECTL_CODE_CACHE: 'off' });
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(cacheOf('ring'), [file]);
  });

  test('installed under a path with a space and a non-ASCII character, it starts and uses its code cache', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cachectl-path-'));
    try {
      const root = join(parent, 'my tools ü', 'cachectl');
      mkdirSync(root, { recursive: true });
      for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(root, part), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
      const cache = join(parent, 'cache');
      for (let run = 0; run < 2; run++) {
        const r = await bin(
          ['ring', 'locate', 'k:1', '--ring', '127.0.0.1:7100,127.0.0.1:7101'],
          { CACHECTL_CODE_CACHE: cache },
          join(root, 'bin', 'cachectl'),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'k:1\t127.0.0.1:7100\n');
      }
      assert.equal(readdirSync(cache).filter((f) => f.startsWith('cli.cjs-ring-')).length, 1);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test('herd --processes forks its drill workers from the build', async () => {
    const r = await bin([
      'herd',
      '--redis',
      `127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--fetch',
      'SELECT * FROM products WHERE id = $1',
      '--key',
      'product:21',
      '--clients',
      '20',
      '--processes',
      '2',
      '--strategy',
      'lock',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as DrillResult;
    assert.equal(result.reports[0]?.originQueries, 1);
  });

  test('--verbose: the stack trace names src/ lines (source maps), without it there is none', async () => {
    const missing = `${ROOT}no-such-keys.txt`;
    const args = [
      'warm',
      '--keys',
      missing,
      '--pattern',
      'product:{id}',
      '--fetch',
      'SELECT 1',
      '--ttl',
      '1h',
      '--pg',
      db.url,
      '--redis',
      `127.0.0.1:${redis.port}`,
    ];
    const plain = await bin(args);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /no-such-keys\.txt/);
    assert.doesNotMatch(plain.stderr, /\n\s+at /);
    const verbose = await bin([...args, '--verbose']);
    assert.equal(verbose.code, plain.code);
    assert.match(verbose.stderr, /\n\s+at .*\/src\/[\w/-]+\.ts:\d+:\d+/);
  });
});
