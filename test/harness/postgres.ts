/**
 * A throwaway PostgreSQL database per test file: created on the server from DATABASE_URL
 * (or 127.0.0.1:5432/postgres) by the sandbox's recipe, with the tests' own mark, and dropped
 * (sessions ended) afterwards.
 */
import pg from 'pg';
import { seedCatalogue as seedDemoCatalogue } from '../../src/adapters/postgres/catalogue.js';
import { createOwnedDatabase, dropOwnedDatabase, type DatabaseOwner } from '../../src/adapters/sandbox/postgres.js';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

const TESTS: DatabaseOwner = { mark: 'created by a cachectl test file; dropped when it ends', applicationName: 'cachectl-tests' };

function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export async function createTestDatabase(prefix = 'cachectl_test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const url = await createOwnedDatabase(adminUrl(), name, TESTS);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      await dropOwnedDatabase(adminUrl(), name, TESTS);
    },
  };
}

/** A small catalogue: products(id bigint, name, price, ...), categories(slug), users(tenant,id). */
export async function seedCatalogue(pool: pg.Pool, products = 1000): Promise<void> {
  // The one definition shared with `cachectl sandbox` and the benchmarks.
  await seedDemoCatalogue(pool, { products });
}
