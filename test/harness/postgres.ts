/**
 * A throwaway PostgreSQL database per test file: created on the server from DATABASE_URL
 * (or 127.0.0.1:5432/postgres), dropped with FORCE afterwards.
 */
import pg from 'pg';

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
  await pool.query(`
    CREATE TABLE categories (id serial PRIMARY KEY, slug text UNIQUE NOT NULL, name text NOT NULL);
    CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price_cents int NOT NULL,
                           category_id int REFERENCES categories(id), stock int NOT NULL, updated_at timestamptz NOT NULL DEFAULT '2026-01-01');
    CREATE TABLE users (tenant text NOT NULL, id bigint NOT NULL, email text NOT NULL, plan text NOT NULL, PRIMARY KEY (tenant, id));
    INSERT INTO categories (slug, name) SELECT 'cat-' || g, 'Category ' || g FROM generate_series(1, 20) g;
    INSERT INTO users (tenant, id, email, plan) SELECT t, g, 'user' || g || '@' || t || '.example', CASE WHEN g % 10 = 0 THEN 'pro' ELSE 'free' END
      FROM unnest(ARRAY['acme','globex']) t, generate_series(1, 100) g;
  `);
  await pool.query(
    `INSERT INTO products (id, sku, name, price_cents, category_id, stock)
     SELECT g, 'SKU-' || lpad(g::text, 8, '0'), 'Product number ' || g, 100 + (g * 37) % 10000, 1 + g % 20, g % 500
     FROM generate_series(1, $1::int) g`,
    [products],
  );
}
