/**
 * A throwaway PostgreSQL database per test file: created on the server from DATABASE_URL
 * (or 127.0.0.1:5432/postgres), dropped with FORCE afterwards.
 */
import pg from 'pg';
import { seedCatalogue as seedDemoCatalogue } from '../../src/adapters/postgres/catalogue.js';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export async function createTestDatabase(prefix = 'cachectl_test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => undefined);
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: adminUrl() });
      a.on('error', () => undefined);
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A small catalogue: products(id bigint, name, price, ...), categories(slug), users(tenant,id). */
export async function seedCatalogue(pool: pg.Pool, products = 1000): Promise<void> {
  // The one definition shared with `cachectl sandbox` and the benchmarks.
  await seedDemoCatalogue(pool, { products });
}
