/**
 * The writer of the invalidation race: during each round it updates the key's row in
 * PostgreSQL on a seeded schedule (the same for every strategy) and then applies the
 * application's invalidation to the key: delete it, or set it to the new row. For `versioned`
 * the invalidation also leaves the new version as the key's version floor, which is what lets
 * the compare-and-set refuse an older write-back even after a delete.
 *
 * Without --update the row is in a scratch table the drill creates (and drops) and the clients
 * read it; with --update it is the operator's own row, changed by the operator's statement.
 */
import type pg from 'pg';
import { UsageError } from '../../errors.js';
import type { Commit } from '../../core/herd/race.js';
import type { StrategyName } from '../../core/herd/types.js';
import { versionKeyOf } from '../../core/herd/strategies/index.js';
import { wallClock } from './clock.js';
import { versionOf } from './origin.js';
import { decodeEntry, encodeEntry, type RedisHerdCache } from './redis-cache.js';
import type { RaceOptions } from '../../core/herd/drill-types.js';
import { quoteIdent } from '../postgres/quote.js';

export type { RaceOptions } from '../../core/herd/drill-types.js';

export class RaceWriter {
  /** The database's latest committed version. */
  latest: number;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: RaceOptions,
    readonly fetchSql: string,
    private readonly updateSql: string,
    private readonly param: string,
    private readonly scratchTable: string | undefined,
    initial: number,
  ) {
    this.latest = initial;
  }

  /** True when the drill changed the operator's own row: the cache is left as the drill left it (expiring), not restored to a value older than the database. */
  get changesRealRow(): boolean {
    return this.scratchTable === undefined;
  }

  get versionColumn(): string {
    return this.options.versionColumn;
  }

  static async prepare(pool: pg.Pool, runId: string, param: string, options: RaceOptions, fetchSql: string | undefined): Promise<RaceWriter> {
    let fetch: string;
    let update: string;
    let table: string | undefined;
    if (options.updateSql !== undefined) {
      if (fetchSql === undefined) throw new UsageError('--update: give the --fetch that reads the row it updates');
      fetch = fetchSql;
      update = options.updateSql;
    } else {
      const schema = (await pool.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
      table = `${quoteIdent(schema)}.${quoteIdent(`cachectl_herd_${runId}_rows`)}`;
      await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, version bigint NOT NULL, payload text NOT NULL)`);
      await pool.query(`INSERT INTO ${table} (id, version, payload) VALUES ($1, 1, md5(random()::text))`, [param]);
      fetch = `SELECT id, version, payload FROM ${table} WHERE id = $1`;
      update = `UPDATE ${table} SET version = version + 1, payload = md5(random()::text) WHERE id = $1`;
    }
    const writer = new RaceWriter(pool, options, fetch, update, param, table, 0);
    const first = await writer.readRow();
    if (first.version === undefined) {
      await writer.drop();
      throw new UsageError(
        `--writes: the fetch returns no numeric '${options.versionColumn}' column for ${param}; name the row's version column with --version-column`,
      );
    }
    writer.latest = first.version;
    return writer;
  }

  /** The row as the database has it now, read without the drill's counting. */
  private async readRow(): Promise<{ value: string; version?: number }> {
    const { rows } = await this.pool.query<Record<string, unknown>>({ text: this.fetchSql, values: [this.param] });
    return { value: JSON.stringify(rows), ...versionOf(rows, this.options.versionColumn) };
  }

  /**
   * One round's writes at `offsets` ms after `releasedAt`, each an update then the invalidation.
   * Sequential, as one writer; a stop skips the writes not yet due.
   */
  async run(
    key: string,
    cache: RedisHerdCache,
    strategy: StrategyName,
    offsets: readonly number[],
    releasedAt: number,
    ttlMs: number,
    stop: AbortSignal,
  ): Promise<Commit[]> {
    const commits: Commit[] = [];
    const node = cache.nodeFor(key);
    const floorKey = versionKeyOf(key);
    const floorNode = cache.nodeFor(floorKey);
    for (const offset of offsets) {
      const wait = releasedAt + offset - wallClock.now();
      if (wait > 0) await wallClock.sleep(wait, stop);
      if (stop.aborted) break;
      await this.pool.query({ text: this.updateSql, values: [this.param] });
      const committedAt = wallClock.now();
      const row = await this.readRow();
      const version = row.version ?? this.latest + 1;
      this.latest = Math.max(this.latest, version);
      commits.push({ version, at: committedAt });
      const ttl = Math.max(1, Math.round(ttlMs));
      if (strategy === 'versioned') await floorNode.set(floorKey, String(version), 'PX', ttl);
      if (this.options.invalidate === 'delete') {
        await node.del(key);
      } else {
        const entry = { value: row.value, deltaMs: 0, computedAt: wallClock.now(), ttlLeftMs: ttl, version };
        if (strategy === 'versioned') await cache.writeIfNewer(key, entry, ttl);
        else await node.set(key, encodeEntry(entry), 'PX', ttl);
      }
    }
    return commits;
  }

  /** The version the cache holds now (null: absent or carries none). */
  async cachedVersion(key: string, cache: RedisHerdCache): Promise<number | null> {
    const raw = await cache.nodeFor(key).get(key);
    if (raw === null) return null;
    return decodeEntry(raw, Infinity).version ?? null;
  }

  /** Removes the version floor and the scratch table. */
  async cleanup(key: string, cache: RedisHerdCache): Promise<void> {
    await cache.nodeFor(versionKeyOf(key)).del(versionKeyOf(key));
    await this.drop();
  }

  private async drop(): Promise<void> {
    if (this.scratchTable) await this.pool.query(`DROP TABLE IF EXISTS ${this.scratchTable}`);
  }
}
