/**
 * `inspect drift`: how much of the cache disagrees with PostgreSQL right now. For each warmlist
 * entry, keys that exist in the cache (sampled uniformly over every node, all of them, or read
 * from the entry's key list) are fetched again with the entry's own SQL, in batches (bounded
 * concurrency, --rate), and each row is turned into a value exactly as warm would write it
 * (value text, or hash fields) and compared with what is cached. Read-only: nothing is written.
 *
 * Query entries are streamed as warm streams them; a query lists what exists, so a cached key it
 * no longer returns cannot be told from one it never returned: "missing in the database" is only
 * measured for key-list entries.
 */
import { matchKey, renderKey } from '../warm/pattern.js';
import { matchRows } from '../warm/batch.js';
import { fetchedBytes, fetchSizer, type FetchBytes, type FetchSizer } from '../warm/fetch-size.js';
import type { FetchedRows, KeyListPort, RowSourcePort } from '../warm/ports.js';
import { Semaphore, sleep } from '../warm/semaphore.js';
import type { WarmEntry } from '../warm/types.js';
import { valueOf, type RowShape } from '../warm/values.js';
import { scanEveryNode, summariseNode, type InspectEvent, type NodeSummary } from './every-node.js';
import { cellText, clip, dateOf, jsonUpdatedAt, sameValue, show } from './drift-compare.js';
import { TokenBucket } from './rate.js';
import { Reservoir } from './reservoir.js';
import { globEscape } from './stampede.js';
import type { CachedValue, InspectSource, NodeFacts, ScanOutcome } from './types.js';

export type DriftKind = 'different' | 'missing-in-db';

export interface DriftOptions {
  entries: WarmEntry[];
  /** Keys compared per entry (uniform sample); undefined: all of them. */
  sample?: number;
  /** Key-list entries: take the keys from the entry's key list instead of the cache. */
  fromList: boolean;
  batchSize: number;
  /**
   * Fetches sized to about this many bytes (FetchSizer), batchSize keys at most, as warm's are;
   * without it every fetch is batchSize keys. Each fetch's values are held twice, the database's
   * and the cache's, under `concurrency` fetches at once.
   */
  fetchBytes?: FetchBytes;
  concurrency: number;
  /** Keys per second over the whole run; 0: unlimited. */
  rate: number;
  scanCount: number;
  staleSuffix: string;
  /** Column (or JSON field of the value) saying when the row last changed; undefined: the usual names are tried. */
  updatedColumn?: string;
  examples: number;
  onDrifted?: (entry: string, key: string, kind: DriftKind, detail: string) => void;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
  random?: () => number;
  now?: () => number;
}

export interface DriftExample {
  key: string;
  kind: DriftKind;
  cached: string;
  database: string | null;
}

export interface EntryDrift {
  entry: string;
  format: 'string' | 'hash';
  /** Where the keys came from. */
  from: 'cache' | 'key list' | 'query';
  sampled: boolean;
  compared: number;
  equal: number;
  different: number;
  /** Cached, but the database has no row for the key any more (null: not measurable for query entries). */
  missingInDb: number | null;
  /** Keys from the key list or query that are not in the cache (not compared). */
  notCached: number;
  /** Keys the database rejected or whose node did not answer (not compared). */
  unchecked: number;
  /** (different + missing in the database) / compared, in %. */
  driftPercent: number | null;
  /** The row's update time column of the longest-stale differing key, and how long ago that was. */
  oldestStale: { key: string; column: string; updatedAt: string; ageMs: number } | null;
  examples: DriftExample[];
  /** Why a batch could not be fetched (statement timeout, database down), if one could not. */
  fetchErrors: string[];
}

export interface DriftReport {
  view: 'drift';
  topology: string;
  durationMs: number;
  nodes: NodeSummary[];
  entries: EntryDrift[];
  totals: { compared: number; equal: number; different: number; missingInDb: number; drifted: number; driftPercent: number | null };
}

export interface DriftPorts {
  rows: RowSourcePort;
  keys: KeyListPort;
}

const UPDATED_COLUMNS = ['updated_at', 'updatedAt', 'modified_at', 'modifiedAt', 'last_modified', 'changed_at'];

export async function inspectDrift(source: InspectSource, ports: DriftPorts, options: DriftOptions, facts: NodeFacts[]): Promise<DriftReport> {
  const started = Date.now();
  options.onEvent?.({ kind: 'facts', facts });
  const outcomes: (ScanOutcome | undefined)[] = facts.map(() => undefined);
  const bucket = options.rate > 0 ? new TokenBucket(options.rate) : undefined;
  const entries: EntryDrift[] = [];
  for (const entry of options.entries) {
    if (options.signal?.aborted) break;
    const run = new EntryRun(entry, source, ports, options, bucket);
    if (entry.source.kind === 'query') await run.fromQuery();
    else if (options.fromList) await run.fromKeyList();
    else await run.fromCache(facts, outcomes);
    entries.push(run.result());
  }
  const t = { compared: 0, equal: 0, different: 0, missingInDb: 0 };
  for (const e of entries) {
    t.compared += e.compared;
    t.equal += e.equal;
    t.different += e.different;
    t.missingInDb += e.missingInDb ?? 0;
  }
  const drifted = t.different + t.missingInDb;
  return {
    view: 'drift',
    topology: source.topology.kind,
    durationMs: Date.now() - started,
    nodes: facts.map((f, i) => summariseNode(f, outcomes[i])),
    entries,
    totals: { ...t, drifted, driftPercent: t.compared > 0 ? (drifted / t.compared) * 100 : null },
  };
}

class EntryRun {
  private readonly r: EntryDrift;
  private readonly slots: Semaphore;
  private readonly sizer: FetchSizer | undefined;
  private readonly updated: string[];
  private readonly now: () => number;

  constructor(
    private readonly entry: WarmEntry,
    private readonly source: InspectSource,
    private readonly ports: DriftPorts,
    private readonly options: DriftOptions,
    private readonly bucket: TokenBucket | undefined,
  ) {
    const from = entry.source.kind === 'query' ? 'query' : options.fromList ? 'key list' : 'cache';
    this.r = {
      entry: entry.name,
      format: entry.format,
      from,
      sampled: options.sample !== undefined,
      compared: 0,
      equal: 0,
      different: 0,
      missingInDb: from === 'query' ? null : 0,
      notCached: 0,
      unchecked: 0,
      driftPercent: null,
      oldestStale: null,
      examples: [],
      fetchErrors: [],
    };
    this.slots = new Semaphore(options.concurrency);
    this.sizer = fetchSizer(options.batchSize, options.fetchBytes);
    this.updated = options.updatedColumn ? [options.updatedColumn] : UPDATED_COLUMNS;
    this.now = options.now ?? Date.now;
  }

  result(): EntryDrift {
    const drifted = this.r.different + (this.r.missingInDb ?? 0);
    return { ...this.r, driftPercent: this.r.compared > 0 ? (drifted / this.r.compared) * 100 : null };
  }

  /** Keys that exist in the cache: SCAN every node for the entry's pattern (uniform sample, or all). */
  async fromCache(facts: NodeFacts[], outcomes: (ScanOutcome | undefined)[]): Promise<void> {
    if (this.entry.source.kind !== 'keys') return;
    const { pattern } = this.entry.source;
    const match = pattern.literals.map(globEscape).join('*');
    const wanted = (key: string) => !key.endsWith(this.options.staleSuffix) && matchKey(pattern, key) !== undefined;
    const reservoir = this.options.sample !== undefined ? new Reservoir<string>(this.options.sample, this.options.random ?? Math.random) : undefined;
    let pending: string[] = [];
    const runs = await scanEveryNode(
      this.source,
      facts,
      { match, count: this.options.scanCount, ...(this.options.signal ? { signal: this.options.signal } : {}) },
      () => undefined,
      async (_s, batch) => {
        for (let i = 0; i < batch.size; i++) {
          if (batch.pttl(i) === -2) continue;
          const key = batch.key(i);
          if (!wanted(key)) continue;
          if (reservoir) reservoir.offer(key);
          else pending.push(key);
        }
        if (pending.length >= this.fetchSize()) {
          const keys = pending;
          pending = [];
          // A SCAN batch can bring more keys than a fetch may take.
          await this.checkInFetches(keys);
        }
      },
      this.options.onEvent,
    );
    runs.forEach((run, i) => (outcomes[i] = mergeOutcome(outcomes[i], run.outcome)));
    await this.checkInFetches(reservoir ? reservoir.items : pending);
    await this.slots.idle();
  }

  /** Keys from the entry's key list (all, or a uniform sample); keys not cached are counted, not compared. */
  async fromKeyList(): Promise<void> {
    const reservoir = this.options.sample !== undefined ? new Reservoir<string>(this.options.sample, this.options.random ?? Math.random) : undefined;
    for await (const batch of this.ports.keys.open(this.entry, 0, undefined, this.sizer?.next)) {
      if (this.options.signal?.aborted) break;
      if (reservoir) for (const k of batch.keys) reservoir.offer(k);
      else await this.checkKeys(batch.keys);
    }
    await this.checkInFetches(reservoir?.items ?? []);
    await this.slots.idle();
  }

  /** Keys to fetch at once: sized by the bytes of the fetches so far, or --batch-size. */
  private fetchSize(): number {
    return this.sizer ? this.sizer.next() : this.options.batchSize;
  }

  private async checkInFetches(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length;) {
      const n = this.fetchSize();
      await this.checkKeys(keys.slice(i, i + n));
      i += n;
    }
  }

  /** A query entry: the rows as warm streams them, each compared with its cached key. */
  async fromQuery(): Promise<void> {
    const reservoir =
      this.options.sample !== undefined
        ? new Reservoir<{ key: string; value: string | string[]; updatedAt: Date | undefined }>(this.options.sample, this.options.random ?? Math.random)
        : undefined;
    const signal = this.options.signal ?? new AbortController().signal;
    try {
      for await (const { rows, shape } of this.ports.rows.stream(this.entry, 0, signal)) {
        const items = rows.map((row) => {
          const value = valueOf(row, shape, this.entry.format);
          return { key: cellText(row[shape.keyIndex]), value, updatedAt: this.updatedAtOf(row, shape, value) };
        });
        if (reservoir) for (const item of items) reservoir.offer(item);
        else {
          await this.pace(items.length);
          await this.compareBatch(
            items.map((x) => x.key),
            items,
          );
        }
        if (signal.aborted) break;
      }
    } catch (error) {
      this.r.fetchErrors.push(error instanceof Error ? error.message : String(error));
    }
    const rest = reservoir?.items ?? [];
    for (let i = 0; i < rest.length; i += this.options.batchSize) {
      const part = rest.slice(i, i + this.options.batchSize);
      await this.compareBatch(
        part.map((x) => x.key),
        part,
      );
    }
  }

  /** Key-list entry keys: fetched from the database in a batch (under the concurrency bound), then compared. */
  private async checkKeys(keys: string[]): Promise<void> {
    if (keys.length === 0 || this.entry.source.kind !== 'keys') return;
    await this.slots.acquire();
    const work = async () => {
      await this.pace(keys.length);
      const { pattern } = this.entry.source as Extract<WarmEntry['source'], { kind: 'keys' }>;
      const accepted: string[] = [];
      const params: string[][] = pattern.params.map(() => []);
      for (const key of keys) {
        const parts = matchKey(pattern, key);
        if (!parts) {
          this.r.unchecked++;
          continue;
        }
        accepted.push(key);
        parts.forEach((p, i) => params[i]?.push(p));
      }
      let fetched: FetchedRows;
      try {
        fetched = await this.ports.rows.fetch(this.entry, params, accepted.length);
        this.sizer?.fetched(accepted.length, fetchedBytes(fetched));
      } catch (error) {
        this.r.unchecked += accepted.length;
        if (this.r.fetchErrors.length < 5) this.r.fetchErrors.push(error instanceof Error ? error.message : String(error));
        return;
      }
      const rejected = new Set(fetched.invalid.map((x) => x.index));
      const values = matchRows(pattern, accepted, fetched.rows, fetched.shape, this.entry.format, params.length === 1 ? params[0] : undefined);
      const updated = this.updatedByKey(fetched, pattern);
      const found = (column: string) => (this.updatedColumnName = column);
      const items = accepted.map((key, i) =>
        rejected.has(i) ? undefined : { key, value: values[i], updatedAt: updated?.get(key) ?? jsonUpdatedAt(values[i], this.updated, found) },
      );
      this.r.unchecked += rejected.size;
      await this.compareBatch(
        accepted.filter((_, i) => !rejected.has(i)),
        items.filter((x): x is NonNullable<typeof x> => x !== undefined),
      );
    };
    // Runs in the background under the semaphore; the caller goes on reading keys.
    work()
      .catch((error: unknown) => {
        this.r.unchecked += keys.length;
        if (this.r.fetchErrors.length < 5) this.r.fetchErrors.push(error instanceof Error ? error.message : String(error));
      })
      .finally(() => this.slots.release());
  }

  /** Compares database values (undefined: no row) with what the cache holds now. */
  private async compareBatch(keys: string[], db: { key: string; value: string | string[] | undefined; updatedAt: Date | undefined }[]): Promise<void> {
    const cached = await this.source.readValues(keys, this.entry.format);
    cached.forEach((c, i) => this.compareOne(c, db[i] as (typeof db)[number]));
  }

  private compareOne(c: CachedValue, db: { key: string; value: string | string[] | undefined; updatedAt: Date | undefined }): void {
    if (c.problem) {
      this.r.unchecked++;
      return;
    }
    if (c.state === 'missing') {
      // Not in the cache (a key-list key never warmed or expired; a scanned key gone since): nothing to compare.
      this.r.notCached++;
      return;
    }
    this.r.compared++;
    if (db.value === undefined) {
      if (this.r.missingInDb !== null) this.r.missingInDb++;
      this.drifted(db.key, 'missing-in-db', c, null, 'cached, but the database has no row for it (deleted at the origin)');
      return;
    }
    if (c.state === 'found' && c.value !== undefined && sameValue(c.value, db.value)) {
      this.r.equal++;
      return;
    }
    this.r.different++;
    this.drifted(
      db.key,
      'different',
      c,
      db.value,
      c.state === 'wrong-type' ? `cached as another type than ${this.entry.format}` : 'cached value differs from the database',
    );
    if (db.updatedAt) {
      const ageMs = this.now() - db.updatedAt.getTime();
      if (!this.r.oldestStale || ageMs > this.r.oldestStale.ageMs)
        this.r.oldestStale = { key: db.key, column: this.updatedColumnName ?? '?', updatedAt: db.updatedAt.toISOString(), ageMs };
    }
  }

  private updatedColumnName: string | undefined;

  private drifted(key: string, kind: DriftKind, c: CachedValue, database: string | string[] | null, detail: string): void {
    this.options.onDrifted?.(this.entry.name, key, kind, detail);
    if (this.r.examples.length < this.options.examples) {
      this.r.examples.push({
        key,
        kind,
        cached: clip(c.state === 'wrong-type' ? '(another type)' : show(c.value)),
        database: database === null ? null : clip(show(database)),
      });
    }
  }

  /** The update time of each fetched row by key, when the rows carry an updated_at-like column. */
  private updatedByKey(fetched: FetchedRows, pattern: Extract<WarmEntry['source'], { kind: 'keys' }>['pattern']): Map<string, Date> | undefined {
    const column = this.updated.find((c) => fetched.shape.names.includes(c));
    if (!column) return undefined;
    this.updatedColumnName = column;
    const at = fetched.shape.names.indexOf(column);
    const paramAt = pattern.params.map((p) => fetched.shape.names.indexOf(p));
    const out = new Map<string, Date>();
    for (const row of fetched.rows) {
      const when = dateOf(row[at]);
      if (when)
        out.set(
          renderKey(
            pattern,
            paramAt.map((i) => row[i]),
          ),
          when,
        );
    }
    return out;
  }

  private updatedAtOf(row: readonly unknown[], shape: RowShape, value: string | string[]): Date | undefined {
    const column = this.updated.find((c) => shape.names.includes(c));
    if (column) {
      this.updatedColumnName = column;
      return dateOf(row[shape.names.indexOf(column)]);
    }
    return jsonUpdatedAt(value, this.updated, (c) => (this.updatedColumnName = c));
  }

  private async pace(keys: number): Promise<void> {
    if (!this.bucket) return;
    const wait = this.bucket.take(keys, Date.now());
    if (wait > 0) await sleep(wait, this.options.signal);
  }
}

function mergeOutcome(a: ScanOutcome | undefined, b: ScanOutcome | undefined): ScanOutcome | undefined {
  if (!a) return b;
  if (!b) return a;
  return { ...b, keysScanned: a.keysScanned + b.keysScanned, batches: a.batches + b.batches, ...(a.problem && !b.problem ? { problem: a.problem } : {}) };
}

export function driftMetrics(report: DriftReport): Record<string, number> {
  return {
    drift: report.totals.drifted,
    ...(report.totals.driftPercent !== null ? { 'drift%': report.totals.driftPercent } : {}),
    'nodes-down': report.nodes.filter((n) => n.status === 'down' || n.status === 'refused').length,
  };
}
