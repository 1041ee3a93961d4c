/**
 * `cachectl sandbox up|status|down` against real redis-server, nutcracker and PostgreSQL:
 * up twice in a row, idempotent up, --sandbox resolution, nothing left behind after down,
 * a reused pid left alone, and a failed up that cleans up after itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { readIdentity } from '../../src/adapters/sandbox/processes.js';
import { readState, type SandboxState } from '../../src/adapters/sandbox/state.js';
import { findNutcracker } from '../../src/adapters/sandbox/redis.js';
import { pgUrlFrom, redisTargetFrom } from '../../src/commands/options.js';
import { StringSink } from '../../src/io.js';
import { Readable } from 'node:stream';
import { createServer } from 'node:net';
import { findFreePorts } from '../../src/adapters/sandbox/ports.js';
import { DEFAULTS } from '../../src/config/defaults.js';

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `cachectl_sbtest_${process.pid}`;
let root: string;

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, DATABASE_URL: adminUrl, ...extra };
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

function ioFor(dir: string) {
  return {
    stdout: new StringSink(),
    stderr: new StringSink(),
    stdin: Readable.from([]),
    env: { CACHECTL_SANDBOX_DIR: dir },
    cwd: root,
    signal: new AbortController().signal,
  };
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cachectl-sandbox-test-'));
});

after(async () => {
  // Last resort if an assertion failed half-way: never leave servers running.
  for (const dir of ['a', 'b', 'c', 'embedded']) await runCli(['sandbox', 'down', '--dir', join(root, dir)], { env: env(), cwd: root });
  rmSync(root, { recursive: true, force: true });
});

describe('cachectl sandbox on a real PostgreSQL (DATABASE_URL)', () => {
  for (const round of [1, 2]) {
    it(`round ${round}: up, up again, status, --sandbox, down; no process left behind`, async () => {
      const dir = join(root, 'a');
      const up = await runCli(['sandbox', 'up', '--dir', dir, '--database', database, '--products', '2000', '--users', '10'], { env: env(), cwd: root });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /^export DATABASE_URL='postgres:\/\/.*\/cachectl_sbtest_/m);
      assert.match(up.stdout, /^export CACHECTL_CLUSTER='127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+'$/m);
      const state = readState(dir) as SandboxState;
      assert.ok(state?.complete);
      const expected = 6 + (findNutcracker(process.env) ? 1 : 0);
      assert.equal(state.processes.length, expected, 'cluster x3, ring x3 (+ twemproxy)');
      for (const p of state.processes) assert.ok(readIdentity(p.pid), `${p.name} (pid ${p.pid}) runs`);
      for (const p of state.processes)
        assert.ok(p.port < 32768 && (p.role !== 'cluster' || p.port + 10000 < 32768), `${p.name} port below the ephemeral range`);

      const again = await runCli(['sandbox', 'up', '--dir', dir, '--database', database], { env: env(), cwd: root });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /already up/);
      assert.deepEqual(
        readState(dir)?.processes.map((p) => p.pid),
        state.processes.map((p) => p.pid),
        'the second up started nothing',
      );

      const status = await runCli(['sandbox', 'status', '--dir', dir, '--json'], { env: env(), cwd: root });
      assert.equal(status.code, 0, status.stdout);
      const parsed = JSON.parse(status.stdout) as { up: boolean; components: { name: string; ok: boolean; detail: string }[] };
      assert.equal(parsed.up, true);
      assert.equal(parsed.components.find((c) => c.name === 'postgres')?.detail, '2,000 products (database ' + database + ')');

      // --sandbox resolves to the sandbox's cluster and database.
      const io = ioFor(dir);
      const target = redisTargetFrom({ sandbox: true }, io);
      assert.equal(target.kind, 'cluster');
      const url = pgUrlFrom({ sandbox: true }, io) as string;
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const counts = await client.query(
          'SELECT (SELECT count(*) FROM products)::int AS p, (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM categories)::int AS c',
        );
        assert.deepEqual(counts.rows[0], { p: 2000, u: 20, c: 20 });
      } finally {
        await client.end();
      }

      if (state.twemproxy) await keysThroughTwemproxyLandOnRingNodes(state);

      const down = await runCli(['sandbox', 'down', '--dir', dir], { env: env(), cwd: root });
      assert.equal(down.code, 0, down.stdout + down.stderr);
      assert.equal((down.stdout.match(/ stopped$/gm) ?? []).length, expected, down.stdout);
      for (const p of state.processes) assert.equal(readIdentity(p.pid), undefined, `${p.name} (pid ${p.pid}) is gone`);
      assert.equal(existsSync(dir), false, 'state dir removed');
      assert.equal(await databaseExists(database), false, 'database dropped');

      const status2 = await runCli(['sandbox', 'status', '--dir', dir], { env: env(), cwd: root });
      assert.equal(status2.code, 1);
      assert.match(status2.stdout, /no sandbox is up/);
    });
  }

  it('down leaves a pid alone that is no longer the process it started', async () => {
    const dir = join(root, 'b');
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => stranger.once('spawn', r));
      const me = readIdentity(stranger.pid as number);
      assert.ok(me);
      // Recorded as a redis-server that started at another time: the pid was reused.
      const state: SandboxState = {
        version: 1,
        dir,
        startedAt: new Date().toISOString(),
        complete: true,
        cluster: [],
        ring: [],
        processes: [{ pid: me.pid, command: 'redis-server', startTime: '1', name: 'cluster-1', role: 'cluster', port: 7000, logFile: join(dir, 'x.log') }],
      };
      await import('node:fs').then((fs) => fs.mkdirSync(dir, { recursive: true }));
      writeFileSync(join(dir, 'sandbox.json'), JSON.stringify(state));
      const down = await runCli(['sandbox', 'down', '--dir', dir], { env: env(), cwd: root });
      assert.equal(down.code, 1);
      assert.match(down.stdout, /left alone/);
      assert.ok(readIdentity(me.pid), 'the stranger still runs');
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('a failed up (redis-server missing) explains itself, exits 3 and leaves nothing behind', async () => {
    const dir = join(root, 'c');
    const up = await runCli(['sandbox', 'up', '--dir', dir, '--database', database], { env: env({ PATH: '/nonexistent' }), cwd: root });
    assert.equal(up.code, 3);
    assert.match(up.stderr, /redis-server is not installed or not on PATH: install Redis/);
    assert.equal(existsSync(join(dir, 'sandbox.json')), false);
    assert.equal(await databaseExists(database), false);
  });

  it('an interrupted up (SIGINT) stops what it had started and exits 130', async () => {
    const dir = join(root, 'c');
    const controller = new AbortController();
    controller.abort('SIGINT');
    const up = await runCli(['sandbox', 'up', '--dir', dir, '--database', database], { env: env(), cwd: root, signal: controller.signal });
    assert.equal(up.code, 130, up.stderr);
    assert.match(up.stderr, /interrupted; stopping what it started/);
    assert.deepEqual(processesMentioning(dir), [], 'no process runs with the sandbox dir on its command line');
    assert.equal(existsSync(join(dir, 'sandbox.json')), false);
  });
});

/** Every live process whose command line mentions `text` (redis-server gets --dir <its folder>). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text) && readIdentity(Number(pid))) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('cachectl sandbox with the embedded PostgreSQL (PGlite)', () => {
  it('serves the catalogue over the wire, a warm streams it through a cursor, and it stops', async () => {
    const dir = join(root, 'embedded');
    const up = await runCli(['sandbox', 'up', '--dir', dir, '--products', '1000', '--users', '5'], { env: { PATH: process.env.PATH }, cwd: root });
    assert.equal(up.code, 0, up.stderr);
    const state = readState(dir) as SandboxState;
    assert.equal(state.postgres?.kind, 'embedded');
    const pgProcess = state.processes.find((p) => p.role === 'postgres');
    assert.ok(pgProcess && readIdentity(pgProcess.pid));
    // warm's own stream (DECLARE/FETCH in a transaction) beside another connection's queries:
    // PGlite multiplexes one session, so this is where a cursor outside a transaction would break.
    const pool = new pg.Pool({ connectionString: state.postgres?.url, max: 2 });
    pool.on('error', () => undefined);
    try {
      const concurrent = pool.query('SELECT count(*)::int AS n FROM users');
      const warm = await runCli(
        [
          'warm',
          '--sandbox',
          '--query',
          "SELECT 'sbx:' || id AS key, name AS value FROM products ORDER BY id",
          '--ttl',
          '1m',
          '--batch-size',
          '300',
          '--json',
          '--no-lock',
        ],
        { env: { PATH: process.env.PATH, CACHECTL_SANDBOX_DIR: dir }, cwd: root },
      );
      assert.equal(warm.code, 0, warm.stderr);
      assert.equal(JSON.parse(warm.stdout).written, 1000);
      assert.equal((await concurrent).rows[0].n, 10);
      // inspect with --sandbox: the overview on its cluster, and drift against its database.
      const sandboxEnv = { env: { PATH: process.env.PATH, CACHECTL_SANDBOX_DIR: dir }, cwd: root };
      const overview = await runCli(['inspect', '--sandbox', '--json'], sandboxEnv);
      assert.equal(overview.code, 0, overview.stderr);
      const report = JSON.parse(overview.stdout) as { view: string; topology: string; ttl: { totals: { keys: number } } };
      assert.deepEqual([report.view, report.topology], ['overview', 'cluster']);
      assert.ok(report.ttl.totals.keys >= 1000);
      const warmlist = join(dir, 'sbx.yml');
      writeFileSync(warmlist, `entries:\n  - name: sbx\n    ttl: 1m\n    query: SELECT 'sbx:' || id AS key, name AS value FROM products ORDER BY id\n`);
      const drift = await runCli(['inspect', 'drift', warmlist, '--sandbox', '--all', '--json'], sandboxEnv);
      assert.equal(drift.code, 0, drift.stderr);
      assert.deepEqual((JSON.parse(drift.stdout) as { totals: { compared: number; equal: number } }).totals, {
        compared: 1000,
        equal: 1000,
        different: 0,
        missingInDb: 0,
        drifted: 0,
        driftPercent: 0,
      });
    } finally {
      await pool.end();
    }
    const down = await runCli(['sandbox', 'down', '--dir', dir], { env: { PATH: process.env.PATH }, cwd: root });
    assert.equal(down.code, 0, down.stdout);
    for (const p of state.processes) assert.equal(readIdentity(p.pid), undefined, `${p.name} is gone`);

    // `sandbox down; sandbox up` in the shell that eval'd the first up: its DATABASE_URL points at
    // the embedded server that is gone. And a ring port taken meanwhile: the move is explained.
    const shell: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const m of up.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) shell[m[1] as string] = m[2];
    assert.equal(shell.DATABASE_URL, state.postgres?.url);
    const [ringPort] = await findFreePorts(DEFAULTS.sandbox.ringBasePort, 1);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(ringPort, '127.0.0.1', resolve));
    try {
      const again = await runCli(['sandbox', 'up', '--dir', dir, '--products', '200', '--users', '2'], { env: shell, cwd: root });
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /ECONNREFUSED/);
      assert.match(again.stderr, /note: DATABASE_URL is the embedded PostgreSQL an earlier sandbox exported; starting a new one/);
      assert.match(
        again.stderr,
        new RegExp(
          `note: the ring nodes: ports [\\d, ]+ instead of ${DEFAULTS.sandbox.ringBasePort} up, because it skipped .*${ringPort} \\(it is in use by another process\\)`,
        ),
      );
      assert.equal((readState(dir) as SandboxState).postgres?.kind, 'embedded');
    } finally {
      blocker.close();
      await runCli(['sandbox', 'down', '--dir', dir], { env: { PATH: process.env.PATH }, cwd: root });
    }
    // An older shell without the marker: a refused embedded-looking DATABASE_URL is passed over too.
    // (A port nothing listens on now: another sandbox on this machine may have taken the old one.)
    const [gone] = await findFreePorts(DEFAULTS.sandbox.embeddedPgBasePort, 1);
    const older = await runCli(['sandbox', 'up', '--dir', dir, '--products', '200', '--users', '2'], {
      env: { PATH: process.env.PATH, DATABASE_URL: `postgres://postgres@127.0.0.1:${gone}/postgres` },
      cwd: root,
    });
    try {
      assert.equal(older.code, 0, older.stderr);
      assert.match(older.stderr, /does not answer and is where an earlier sandbox ran its embedded PostgreSQL/);
    } finally {
      await runCli(['sandbox', 'down', '--dir', dir], { env: { PATH: process.env.PATH }, cwd: root });
    }
  });
});

async function keysThroughTwemproxyLandOnRingNodes(state: SandboxState): Promise<void> {
  const port = Number(state.twemproxy?.address.split(':')[1]);
  const keys = Array.from({ length: 30 }, (_, i) => `sandbox-test:${i}`);
  const proxy = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1 });
  proxy.on('error', () => undefined);
  try {
    for (const key of keys) await proxy.set(key, 'x');
  } finally {
    proxy.disconnect();
  }
  // cachectl reading the sandbox's twemproxy.yml must place every key where the proxy put it.
  const located = await runCli(['ring', 'locate', '--ring-config', state.ringConfigFile as string, '--json', ...keys], { env: { PATH: process.env.PATH } });
  assert.equal(located.code, 0, located.stderr);
  const placements = JSON.parse(located.stdout) as { key: string; node: string }[];
  let agree = 0;
  for (const node of state.ring) {
    const c = new Redis({ port: Number(node.address.split(':')[1]), host: '127.0.0.1', maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    try {
      for (const p of placements.filter((p) => p.node === node.name || p.node === node.address)) {
        if ((await c.exists(p.key)) === 1) agree++;
      }
    } finally {
      c.disconnect();
    }
  }
  assert.equal(agree, keys.length, 'every key written through twemproxy is on the node cachectl ring locate names');
}
