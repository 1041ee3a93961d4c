/**
 * The sandbox's PostgreSQL: a database of its own on the server the user points at (--pg or
 * DATABASE_URL), or the embedded PGlite server when there is none. Either way it is seeded with
 * the demo catalogue over the wire, through the same code. The tests' throwaway databases are
 * made and dropped by the same recipe, with a mark of their own.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { pgDriver } from '../postgres/pg-driver.js';
import { seedCatalogue, type CatalogueSize } from '../postgres/catalogue.js';
import { spawnDetached } from './processes.js';
import { packageScript } from '../files/package-files.js';
import { waitUntil, type OnSpawned } from './redis.js';
import type { SandboxProcess } from './state.js';
import { quoteIdent, quoteLiteral } from '../postgres/quote.js';

/**
 * Who made a database: its comment marks it, so a leftover one can be recognised and replaced
 * and nobody else's is ever dropped. The tests make theirs through the same recipe.
 */
export interface DatabaseOwner {
  mark: string;
  applicationName: string;
}

export const SANDBOX_OWNER: DatabaseOwner = { mark: 'created by cachectl sandbox; dropped by cachectl sandbox down', applicationName: 'cachectl-sandbox' };

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>, applicationName = SANDBOX_OWNER.applicationName): Promise<T> {
  const client = new pgDriver.Client({ connectionString: url, connectionTimeoutMillis: 3_000, application_name: applicationName });
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

export class ForeignDatabaseError extends Error {}

async function markOf(client: pg.Client, database: string): Promise<{ exists: boolean; mark: string | null }> {
  const existing = await client.query<{ comment: string | null }>('SELECT shobj_description(oid, $2) AS comment FROM pg_database WHERE datname = $1', [
    database,
    'pg_database',
  ]);
  return { exists: Boolean(existing.rowCount), mark: existing.rows[0]?.comment ?? null };
}

/**
 * Creates `database` on the admin server, marked as `owner`'s. One of that name with the same
 * mark (left by an earlier run) is replaced; anyone else's is never touched.
 */
export async function createOwnedDatabase(adminUrl: string, database: string, owner: DatabaseOwner): Promise<string> {
  await withPg(
    adminUrl,
    async (client) => {
      const existing = await markOf(client, database);
      if (existing.exists) {
        if (existing.mark !== owner.mark) {
          throw new ForeignDatabaseError(
            `database ${database} already exists and was not created by the sandbox; choose another with --database or drop it yourself`,
          );
        }
        await client.query(`DROP DATABASE ${quoteIdent(database)} WITH (FORCE)`);
      }
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      await client.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${quoteLiteral(owner.mark)}`);
    },
    owner.applicationName,
  );
  return databaseUrl(adminUrl, database);
}

/** Drops the database (sessions still on it are ended), and only while it carries `owner`'s mark. */
export async function dropOwnedDatabase(adminUrl: string, database: string, owner: DatabaseOwner): Promise<'dropped' | 'absent' | 'not-ours'> {
  return withPg(
    adminUrl,
    async (client) => {
      const existing = await markOf(client, database);
      if (!existing.exists) return 'absent';
      if (existing.mark !== owner.mark) return 'not-ours';
      await client.query(`DROP DATABASE ${quoteIdent(database)} WITH (FORCE)`);
      return 'dropped';
    },
    owner.applicationName,
  );
}

export function createExternalDatabase(adminUrl: string, database: string): Promise<string> {
  return createOwnedDatabase(adminUrl, database, SANDBOX_OWNER);
}

export function dropExternalDatabase(adminUrl: string, database: string): Promise<'dropped' | 'absent' | 'not-ours'> {
  return dropOwnedDatabase(adminUrl, database, SANDBOX_OWNER);
}

export function embeddedUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Starts PGlite seeded with the catalogue (in its own process, before it opens the port). */
export async function startEmbeddedPostgres(dir: string, port: number, size: CatalogueSize, timeoutMs: number, onSpawned: OnSpawned): Promise<SandboxProcess> {
  const { script, nodeArgs } = packageScript('adapters/sandbox/pglite-server');
  const workDir = join(dir, 'postgres');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const logFile = join(workDir, 'pglite.log');
  const identity = await spawnDetached({
    command: process.execPath,
    args: [...nodeArgs, script, String(port), String(size.products), String(size.usersPerTenant)],
    logFile,
    cwd: workDir,
  });
  const proc: SandboxProcess = { ...identity, name: 'postgres', role: 'postgres', port, logFile };
  onSpawned(proc);
  await waitUntil(
    async () => (await checkPostgres(embeddedUrl(port), false)).ok,
    proc,
    timeoutMs,
    `embedded PostgreSQL (PGlite) on port ${port} to accept connections`,
    port,
  );
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
