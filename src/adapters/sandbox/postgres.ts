/**
 * The sandbox's PostgreSQL: a database of its own on the server the user points at (--pg or
 * DATABASE_URL), or the embedded PGlite server when there is none. Either way it is seeded with
 * the demo catalogue over the wire, through the same code.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { seedCatalogue, type CatalogueSize } from '../postgres/catalogue.js';
import { spawnDetached } from './processes.js';
import { waitUntil, type OnSpawned } from './redis.js';
import type { SandboxProcess } from './state.js';

/** Marks a database as the sandbox's, so a leftover one can be recognised and replaced. */
const OWNER_COMMENT = 'created by cachectl sandbox; dropped by cachectl sandbox down';

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000, application_name: 'cachectl-sandbox' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export class ForeignDatabaseError extends Error {}

/**
 * Creates `database` on the admin server. A database of that name left by an earlier sandbox
 * (recognised by its comment) is replaced; anyone else's is never touched.
 */
export async function createExternalDatabase(adminUrl: string, database: string): Promise<string> {
  await withPg(adminUrl, async (client) => {
    const existing = await client.query<{ comment: string | null }>(
      'SELECT shobj_description(oid, $2) AS comment FROM pg_database WHERE datname = $1',
      [database, 'pg_database'],
    );
    if (existing.rowCount) {
      if (existing.rows[0]?.comment !== OWNER_COMMENT) {
        throw new ForeignDatabaseError(`database ${database} already exists and was not created by the sandbox; choose another with --database or drop it yourself`);
      }
      await client.query(`DROP DATABASE ${quoteIdent(database)} WITH (FORCE)`);
    }
    await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    await client.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS '${OWNER_COMMENT}'`);
  });
  return databaseUrl(adminUrl, database);
}

/** Drops the sandbox's database, and only when it still carries the sandbox's mark. */
export async function dropExternalDatabase(adminUrl: string, database: string): Promise<'dropped' | 'absent' | 'not-ours'> {
  return withPg(adminUrl, async (client) => {
    const existing = await client.query<{ comment: string | null }>(
      'SELECT shobj_description(oid, $2) AS comment FROM pg_database WHERE datname = $1',
      [database, 'pg_database'],
    );
    if (!existing.rowCount) return 'absent';
    if (existing.rows[0]?.comment !== OWNER_COMMENT) return 'not-ours';
    await client.query(`DROP DATABASE ${quoteIdent(database)} WITH (FORCE)`);
    return 'dropped';
  });
}

/** The compiled server script next to this module, or the TypeScript source under tsx. */
function pgliteServerScript(): { script: string; nodeArgs: string[] } {
  const js = fileURLToPath(new URL('./pglite-server.js', import.meta.url));
  if (existsSync(js)) return { script: js, nodeArgs: [] };
  // Running from source (tests): the detached node needs tsx, resolved here because its cwd differs.
  return { script: fileURLToPath(new URL('./pglite-server.ts', import.meta.url)), nodeArgs: ['--import', import.meta.resolve('tsx')] };
}

export function embeddedUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Starts PGlite seeded with the catalogue (in its own process, before it opens the port). */
export async function startEmbeddedPostgres(dir: string, port: number, size: CatalogueSize, timeoutMs: number, onSpawned: OnSpawned): Promise<SandboxProcess> {
  const { script, nodeArgs } = pgliteServerScript();
  const workDir = join(dir, 'postgres');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const logFile = join(workDir, 'pglite.log');
  const identity = await spawnDetached({ command: process.execPath, args: [...nodeArgs, script, String(port), String(size.products), String(size.usersPerTenant)], logFile, cwd: workDir });
  const proc: SandboxProcess = { ...identity, name: 'postgres', role: 'postgres', port, logFile };
  onSpawned(proc);
  await waitUntil(async () => (await checkPostgres(embeddedUrl(port), false)).ok, proc, timeoutMs, `embedded PostgreSQL (PGlite) on port ${port} to accept connections`, port);
  return proc;
}

export async function seedSandboxDatabase(url: string, size: CatalogueSize): Promise<void> {
  await withPg(url, async (client) => {
    await seedCatalogue(client, size);
    await client.query('ANALYZE');
  });
}

/** Answers, and with `catalogue` also counts the products, for `status`. */
export async function checkPostgres(url: string, catalogue = true): Promise<{ ok: boolean; detail: string }> {
  try {
    return await withPg(url, async (client) => {
      if (!catalogue) {
        await client.query('SELECT 1');
        return { ok: true, detail: 'answers' };
      }
      const r = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM products');
      return { ok: true, detail: `${Number(r.rows[0]?.n ?? 0).toLocaleString('en-US')} products` };
    });
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
