/**
 * The demo catalogue: one definition of its schema and seed data, shared by the sandbox
 * (`cachectl sandbox up`), the test harness and the benchmarks, so the warmlists that target it
 * are tested against exactly what a newcomer gets.
 */

/** Anything that runs SQL: a pg.Pool, a pg.Client or a PoolClient. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface CatalogueSize {
  /** Rows in `products` (ids 1..n). */
  products: number;
  /** Rows in `users` per tenant (tenants 'acme' and 'globex', ids 1..n). */
  usersPerTenant: number;
}

export const CATALOGUE_CATEGORIES = 20;
export const CATALOGUE_TENANTS = ['acme', 'globex'] as const;

export const CATALOGUE_SCHEMA_SQL = `
  CREATE TABLE categories (id serial PRIMARY KEY, slug text UNIQUE NOT NULL, name text NOT NULL);
  CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price_cents int NOT NULL,
                         category_id int REFERENCES categories(id), stock int NOT NULL,
                         updated_at timestamptz NOT NULL DEFAULT '2026-01-01');
  CREATE TABLE users (tenant text NOT NULL, id bigint NOT NULL, email text NOT NULL, plan text NOT NULL,
                      PRIMARY KEY (tenant, id));
`;

/** Creates the three tables and fills them; deterministic, so tests can assert on values. */
export async function seedCatalogue(db: SqlRunner, size: Partial<CatalogueSize> = {}): Promise<void> {
  const products = size.products ?? 1000;
  const usersPerTenant = size.usersPerTenant ?? 100;
  await db.query(CATALOGUE_SCHEMA_SQL);
  await db.query(`INSERT INTO categories (slug, name) SELECT 'cat-' || g, 'Category ' || g FROM generate_series(1, $1::int) g`, [CATALOGUE_CATEGORIES]);
  await db.query(
    `INSERT INTO users (tenant, id, email, plan)
     SELECT t, g, 'user' || g || '@' || t || '.example', CASE WHEN g % 10 = 0 THEN 'pro' ELSE 'free' END
     FROM unnest($1::text[]) t, generate_series(1, $2::int) g`,
    [[...CATALOGUE_TENANTS], usersPerTenant],
  );
  await db.query(
    `INSERT INTO products (id, sku, name, price_cents, category_id, stock)
     SELECT g, 'SKU-' || lpad(g::text, 8, '0'), 'Product number ' || g, 100 + (g * 37) % 10000, 1 + g % $2::int, g % 500
     FROM generate_series(1, $1::int) g`,
    [products, CATALOGUE_CATEGORIES],
  );
}
