/**
 * A throwaway PostgreSQL server of our own (initdb + pg_ctl in a temp dir, on a free port),
 * for the fault tests that stop and restart the database mid-run. The shared server on 5432
 * is never touched. As root the binaries run as the `postgres` user (initdb refuses root).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

const PG_BIN = process.env.PG_BIN ?? findPgBin();

function findPgBin(): string {
  for (const v of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return '/usr/lib/postgresql/15/bin';
}

const live = new Set<string>();
process.on('exit', () => {
  for (const data of live) spawnSync(...asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, 'stop', '-m', 'immediate']), { stdio: 'ignore' });
});

export interface PostgresServer {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** A pool on the server (closed by destroy()). */
  pool: pg.Pool;
  /** Fast shutdown: active connections are terminated (57P01 admin_shutdown), like a restart. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function exec(cmd: string, args: string[]): Promise<void> {
  const [c, a] = asPostgres(cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${out.slice(-800)}`))));
  });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `cachectl-pg-${port}-`));
  if (process.getuid?.() === 0) {
    const ids = spawnSync('id', ['-u', 'postgres']).stdout.toString().trim();
    const gid = spawnSync('id', ['-g', 'postgres']).stdout.toString().trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const data = join(dir, 'data');
  await exec(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40 -c shared_buffers=16MB`;
  const ctl = (...args: string[]) => exec(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args]);
  const start = async () => {
    await ctl('-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start');
    live.add(data);
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  return {
    port,
    url,
    pool,
    async stop(mode = 'fast') {
      await ctl('-m', mode, '-w', '-t', '60', 'stop');
      live.delete(data);
    },
    start,
    async restart() {
      await ctl('-m', 'fast', '-w', '-t', '60', 'stop');
      await start();
    },
    async destroy() {
      await pool.end().catch(() => undefined);
      if (live.has(data)) await ctl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      live.delete(data);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
