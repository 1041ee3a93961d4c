/** Shared checks for warm integration tests: read every key back from the node that owns it. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type pg from 'pg';

export const PRODUCT_FETCH = 'SELECT id, row_to_json(p)::text AS value FROM products p WHERE id = ANY($1::bigint[])';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cachectl-warm-test-'));
}

export function writeKeyList(dir: string, name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Expected product values, exactly as row_to_json renders them. */
export async function productJson(pool: pg.Pool, ids: number[]): Promise<Map<string, string>> {
  const r = await pool.query<{ id: string; value: string }>(
    'SELECT id::text AS id, row_to_json(p)::text AS value FROM products p WHERE id = ANY($1::bigint[])',
    [ids],
  );
  return new Map(r.rows.map((row) => [`product:${row.id}`, row.value]));
}

/**
 * Every key: value equal to the expected one, TTL in [min, max] ms, and present only on the
 * node that should own it (absent from every other node).
 */
export async function assertKeysOnOwners(
  expected: Map<string, string>,
  ownerOf: (key: string) => Redis,
  allNodes: Redis[],
  ttl: { min: number; max: number },
  /** When the warm started: a TTL may have run down by the time passed since (a loaded machine is slow). */
  startedAt: number,
): Promise<void> {
  // All keys at once: ioredis pipelines the concurrent commands on each connection.
  await Promise.all(
    [...expected].map(async ([key, value]) => {
      const owner = ownerOf(key);
      const [got, pttl] = await Promise.all([owner.get(key), owner.pttl(key)]);
      assert.equal(got, value, `value of ${key}`);
      const elapsed = Date.now() - startedAt;
      assert.ok(
        pttl > 0 && pttl >= ttl.min - elapsed && pttl <= ttl.max,
        `TTL of ${key} is ${pttl}, expected ${ttl.min}..${ttl.max} less the ${elapsed}ms since the warm started`,
      );
      for (const other of allNodes) {
        if (other === owner) continue;
        // On a cluster a non-owner answers MOVED; on a ring or single node it simply has no key.
        const there = await other.exists(key).catch((e: Error) => (e.message.startsWith('MOVED') ? 0 : Promise.reject(e)));
        assert.equal(there, 0, `${key} must not be on a node that does not own it`);
      }
    }),
  );
}
