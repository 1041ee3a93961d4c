/**
 * The warm engine: tiers in order, entries within a tier one after another, fetches bounded
 * by a semaphore, writes handed to the CacheWriter (which applies backpressure), outcomes
 * counted per entry and node, and a summary at the end. Pure orchestration over ports.
 */
import { matchByteValueRows } from './key-match.js';
import { matchKeyInto, type KeyPattern } from './pattern.js';
import type { KeyLineBatch } from './ports.js';
import { byteRowsBatch, byteRowsFit, ByteValueBatch, matchRows, newWriteBatch, pushByteWrite, pushWrite, valueProblem, valueSizeProblem } from './batch.js';
import {
  FetchError,
  type ByteRows,
  type ByteValueRows,
  type CachePeekPort,
  type CacheWriter,
  type KeyListPort,
  type RowSourcePort,
  type Ticket,
  type WriteBatch,
  type WriteReport,
} from './ports.js';
import { Semaphore, sleep } from './semaphore.js';
import type { ResumedEntry, WarmSummary } from './summary.js';
import { RunTally } from './tally.js';
import { keyBytesProblem, keyProblem } from './validate.js';
import type { StopReason, WarmEventListener } from './events.js';
import type { VerifyProblem } from './ports.js';
import type { FailureKind, ResumePoint, WarmEntry, WarmOptions } from './types.js';
import { InputError, stopCause } from '../../errors.js';
import { TicketLedger } from './tickets.js';
import { LastKey } from './last-key.js';
import { fetchedBytes, fetchSizer, type FetchSizer } from './fetch-size.js';
import { valueOf, type RowShape } from './values.js';

export interface WarmPorts {
  keys: KeyListPort;
  rows: RowSourcePort;
  /** When given, entries with only-missing or refresh-below fetch only the keys the cache needs. */
  peek?: CachePeekPort;
  /** Builds the writer; the engine passes the report it wants outcomes on. */
  writer(report: WriteReport): CacheWriter;
}

export async function runWarm(options: WarmOptions, ports: WarmPorts, emit: WarmEventListener): Promise<WarmSummary> {
  return new WarmEngine(options, ports, emit).run();
}

class WarmEngine {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly stop = new AbortController();
  private stopInfo?: { reason: StopReason; detail: string };
  private tally!: RunTally;
  private errors = 0;
  private admitted = 0;
  private startedAt = 0;
  private knownTotal: number | undefined = 0;
  private readonly unread: NonNullable<WarmSummary['unread']> = [];
  private fatal: unknown;
  private readonly ledger: TicketLedger;
  private writer!: CacheWriter;
  private readonly resumed: Record<string, ResumedEntry> = {};
  /** Sizes key-list fetches by their rows' bytes (without an explicit --batch-size). */
  private readonly sizer: FetchSizer | undefined;

  constructor(
    private readonly options: WarmOptions,
    private readonly ports: WarmPorts,
    private readonly emit: WarmEventListener,
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.ledger = new TicketLedger(options.checkpoint, (error) => this.fail(error));
    this.sizer = fetchSizer(options.batchSize, options.fetchBytes);
  }

  async run(): Promise<WarmSummary> {
    const { options } = this;
    this.writer = this.ports.writer(this.report());
    this.tally = new RunTally(options.entries, this.writer.nodeNames);
    this.startedAt = this.now();
    const onAbort = () => this.requestStop('signal', `interrupted by ${stopCause(options.signal)}`);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const timer = setInterval(() => this.emitProgress(), options.progressIntervalMs);
    timer.unref?.();
    this.emit({
      type: 'start',
      entries: options.entries.map((e) => ({ name: e.name, tier: e.tier, kind: e.source.kind })),
      dryRun: options.dryRun,
      nodes: [...this.writer.nodeNames],
    });
    try {
      const tiers = [...new Set(options.entries.map((e) => e.tier))].sort((a, b) => a - b);
      for (const tier of tiers) {
        const entries = options.entries.filter((e) => e.tier === tier);
        for (const entry of entries) {
          if (this.fatal) break;
          // After an early stop the entries not started are still accounted for, key by key.
          if (this.stopInfo) await this.notStarted(entry);
          else await this.runEntry(entry);
        }
        // The tier barrier: every key of this tier is settled before the next tier starts.
        await this.writer.drain();
        if (this.fatal) throw this.fatal;
        if (!this.stopInfo) {
          for (const entry of entries) {
            await options.checkpoint?.entryDone(entry.name);
            this.emit({ type: 'entryDone', entry: entry.name });
          }
        }
        this.emit({ type: 'tierDone', tier });
      }
      if (options.verify !== 'none' && !options.dryRun) await this.writer.finishVerify();
      if (this.fatal) throw this.fatal;
    } finally {
      clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    const summary = this.summary();
    this.emit({ type: 'summary', summary });
    return summary;
  }

  private async runEntry(entry: WarmEntry): Promise<void> {
    const total = entry.source.kind === 'keys' ? await this.ports.keys.count(entry) : await this.ports.rows.estimate(entry);
    const estimated = entry.source.kind === 'query' && entry.source.count === undefined;
    this.knownTotal = total === undefined || this.knownTotal === undefined ? undefined : this.knownTotal + total;
    this.emit({ type: 'entryStart', entry: entry.name, tier: entry.tier, ...(total !== undefined ? { total } : {}), estimated });
    const resume = resumePointOf(await this.options.checkpoint?.resumeFrom(entry.name));
    if (resume.position > 0) {
      this.resumed[entry.name] = {
        from: resume.position,
        unit: entry.source.kind === 'keys' ? 'line' : 'row',
        ...(resume.afterKey !== undefined ? { afterKey: resume.afterKey } : {}),
      };
    }
    if (entry.source.kind === 'keys') await this.runKeyList(entry, resume);
    else await this.runQuery(entry, resume);
  }

  /** Rows added or removed before a query's resume key since the checkpoint: the entry restarts. */
  private async checkQueryResume(entry: WarmEntry, resume: ResumePoint): Promise<ResumePoint> {
    if (resume.afterKey === undefined || resume.rowsBefore === undefined || !this.ports.rows.countBefore) return resume;
    const now = await this.ports.rows.countBefore(entry, resume.afterKey);
    if (now === resume.rowsBefore) return resume;
    this.resumeMismatch(
      entry.name,
      1,
      `${now} rows now sort before its checkpoint's key, ${resume.rowsBefore} did when it was taken (rows were added or removed); the entry restarts from its first row so none is missed`,
    );
    return { position: 0 };
  }

  private async runKeyList(entry: WarmEntry, resume: ResumePoint): Promise<void> {
    const slots = new Semaphore(this.options.pgConcurrency);
    const batches = this.ports.keys.open(entry, resume.position, resume.proof, this.sizer?.next)[Symbol.asyncIterator]();
    let lastLine = resume.position;
    try {
      for (;;) {
        const next = await batches.next();
        if (next.done) break;
        const batch = next.value;
        if (batch.resumeMismatch !== undefined) {
          this.resumeMismatch(
            entry.name,
            batch.resumeMismatch,
            `its input differs from what the checkpoint recorded from line ${batch.resumeMismatch} on; every line from there is warmed, none skipped`,
          );
        }
        for (const x of batch.invalid ?? []) this.settleUnwritten(entry.name, x.key, 'invalid', x.reason, x.line, true, true);
        lastLine = batch.lines[batch.lines.length - 1] ?? lastLine;
        let go = await this.admit(batch.keys.length);
        if (go) {
          await slots.acquire();
          go = this.stopInfo === undefined;
          if (!go) slots.release();
        }
        if (!go) {
          if (this.stopInfo && !this.fatal) this.listNotAttempted(entry, batch.keys, batch.lines);
          break;
        }
        const ticket = this.ledger.open(
          entry,
          this.entryIndex(entry),
          batch.mark?.lines ?? batch.lines[batch.lines.length - 1] ?? 0,
          batch.mark ? { kind: 'lines', mark: batch.mark } : undefined,
        );
        this.processKeyBatch(entry, ticket, batch.keys, batch.lines)
          .catch((error: unknown) => this.fail(error))
          .finally(() => {
            this.ledger.seal(ticket);
            slots.release();
          });
      }
    } catch (error) {
      // A key list that turns out not to be one part-way (an endless line) stops the run with its
      // reason and a summary of what was written; before anything was written it is a usage error.
      if (!(error instanceof InputError) || this.tally.done === 0) throw error;
      this.requestStop('input', error.message);
      await slots.idle();
      // The rest cannot be read past that line (the stop names it); a stdin's rest is named as unread.
      if (this.readsStream(entry)) this.unread.push(this.unreadStream(entry, lastLine));
      return;
    }
    await slots.idle();
    if (this.stopInfo && !this.fatal) await this.listRest(entry, batches, lastLine);
  }

  private readsStream(entry: WarmEntry): boolean {
    return entry.source.kind === 'keys' && (entry.source.keysFile === '-' || this.ports.keys.isStream?.(entry) === true);
  }

  private unreadStream(entry: WarmEntry, rowsRead: number): NonNullable<WarmSummary['unread']>[number] {
    const file = entry.source.kind === 'keys' && entry.source.keysFile !== '-' ? entry.source.keysFile : undefined;
    return { entry: entry.name, source: 'stdin', rowsRead, ...(file !== undefined ? { file } : {}) };
  }

  /** A query's rows left unread from `rowsRead` on (rows left when its count is known), and why, if an error. */
  private unreadQuery(entry: WarmEntry, rowsRead: number, error?: string): NonNullable<WarmSummary['unread']>[number] {
    const count = entry.source.kind === 'query' ? entry.source.count : undefined;
    return {
      entry: entry.name,
      source: 'query',
      rowsRead,
      ...(count !== undefined ? { rowsLeft: Math.max(0, count - rowsRead) } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  }

  /** An entry the run never started because it stopped first. */
  private async notStarted(entry: WarmEntry): Promise<void> {
    const resume = resumePointOf(await this.options.checkpoint?.resumeFrom(entry.name));
    const skip = resume.position;
    if (entry.source.kind === 'keys') await this.listRest(entry, this.ports.keys.open(entry, skip, resume.proof)[Symbol.asyncIterator]());
    else this.unread.push({ ...this.unreadQuery(entry, skip), rowsRead: 0 });
  }

  /**
   * The rest of a key list after an early stop: every key is counted and listed as not attempted
   * (--failed-keys then holds exactly what a rerun with --keys must take), nothing is fetched.
   */
  private async listRest(entry: WarmEntry, batches: AsyncIterator<KeyLineBatch>, linesRead = 0): Promise<void> {
    if (this.readsStream(entry) && this.stopInfo?.reason === 'signal') {
      // A signal must end the run now, and a pipe may never end: the rest of the stream is left unread.
      await batches.return?.();
      this.unread.push(this.unreadStream(entry, linesRead));
      return;
    }
    try {
      for (;;) {
        const next = await batches.next();
        if (next.done) return;
        for (const x of next.value.invalid ?? []) this.settleUnwritten(entry.name, x.key, 'invalid', x.reason, x.line, true, true);
        this.listNotAttempted(entry, next.value.keys, next.value.lines);
      }
    } catch (error) {
      // A line that ends the key list (an endless line) ends the listing too: the stop already has its reason.
      if (!(error instanceof InputError)) throw error;
    }
  }

  private listNotAttempted(entry: WarmEntry, keys: readonly string[], lines: readonly number[]): void {
    const reason = this.notAttemptedReason();
    const { keyFilter } = this.options;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      // Another --shard's key is not this run's to account for.
      if (keyFilter && !keyFilter(key)) continue;
      this.settleUnwritten(entry.name, key, 'notAttempted', reason, lines[i]);
    }
  }

  private notAttemptedReason(): string {
    const stop = this.stopInfo;
    if (!stop) return 'not attempted';
    if (stop.reason === 'errors') return 'not attempted: stopped by --max-errors';
    if (stop.reason === 'deadline') return 'not attempted: stopped by --deadline';
    if (stop.reason === 'memory') return 'not attempted: stopped by the memory guard';
    if (stop.reason === 'input') return `not attempted: stopped by an unreadable key list (${stop.detail})`;
    return `not attempted: stopped by ${stopCause(this.options.signal)}`;
  }

  /** The resumed input differs from what the checkpoint recorded: nothing from `line` on is skipped. */
  private resumeMismatch(entry: string, line: number, detail: string): void {
    this.options.checkpoint?.restart?.(entry);
    const r = this.resumed[entry];
    if (r) r.mismatchAt = line;
    this.emit({ type: 'resumeMismatch', entry, line, detail });
  }

  /**
   * Keeps the batch's keys that pass the filter, the key rules and the pattern (in place, with
   * their lines and parameters); the others are settled invalid. A sync function of its own, as
   * byteValueWrites is: the per-key loops were inside the async processKeyBatch, whose
   * optimized compiles (two a warm, the largest of a key-list warm) then covered the whole async
   * function. Split, each is compiled alone; the run's total compile time did not measurably change.
   */
  private acceptKeys(entryName: string, pattern: KeyPattern, keys: string[], lines: number[], params: string[][]): void {
    const { keyFilter, keyRules } = this.options;
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (keyFilter && !keyFilter(key)) continue;
      const problem = keyProblem(key, keyRules);
      if (problem || !matchKeyInto(pattern, key, params, n)) {
        this.settleUnwritten(entryName, key, 'invalid', problem ?? `does not match the pattern ${pattern.source}`, lines[i]);
        continue;
      }
      keys[n] = key;
      lines[n] = lines[i] as number;
      n++;
    }
    keys.length = n;
    lines.length = n;
    for (const column of params) column.length = n;
  }

  private async processKeyBatch(entry: WarmEntry, ticket: Ticket, keys: string[], lines: number[]): Promise<void> {
    if (entry.source.kind !== 'keys') return;
    const { pattern } = entry.source;
    // The batch's own columns (the reader hands them over), filtered in place; the parameters are
    // allocated at the batch's size and cut to what was accepted: growing them by push, and
    // copying the keys, were garbage of their own.
    const params: string[][] = pattern.params.map(() => new Array<string>(keys.length));
    this.acceptKeys(entry.name, pattern, keys, lines, params);
    const accepted = keys;
    const acceptedLines = lines;
    if (accepted.length > 0 && this.ports.peek && (entry.onlyMissing || entry.refreshBelowMs !== undefined)) {
      await this.dropFresh(entry, accepted, acceptedLines, params);
    }
    if (accepted.length === 0) return;
    const started = this.now();
    let fetched;
    try {
      const { rows: source } = this.ports;
      fetched = await (entry.format === 'string' && source.fetchBytes
        ? source.fetchBytes(entry, params, accepted.length)
        : source.fetch(entry, params, accepted.length));
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      for (let i = 0; i < accepted.length; i++) this.settleUnwritten(entry.name, accepted[i] as string, 'failed', error.message, acceptedLines[i]);
      return;
    }
    const rowCount = fetched.bytes?.count ?? fetched.rows.length;
    if (this.sizer) this.sizer.fetched(accepted.length, fetchedBytes(fetched));
    this.emit({ type: 'batchFetched', entry: entry.name, keys: accepted.length, rows: rowCount, ms: this.now() - started });
    const rejected = new Map(fetched.invalid.map((x) => [x.index, x.reason]));
    if (fetched.bytes) {
      const writes = this.byteValueWrites(entry, ticket, accepted, acceptedLines, params, fetched.bytes, fetched.shape, rejected);
      if (writes && writes.keys.length > 0) await this.writer.write(writes);
      return;
    }
    const values = matchRows(pattern, accepted, fetched.rows, fetched.shape, entry.format, params.length === 1 ? params[0] : undefined);
    const batch = newWriteBatch(entry);
    for (let i = 0; i < accepted.length; i++) {
      const key = accepted[i] as string;
      const dbReason = rejected.get(i);
      const value = values[i];
      const reason = dbReason
        ? `the database rejected it: ${dbReason}`
        : value === undefined
          ? 'no row for this key'
          : valueProblem(value, this.options.maxValueBytes);
      if (reason !== undefined || value === undefined) {
        this.settleUnwritten(entry.name, key, dbReason || value !== undefined ? 'invalid' : 'missing', reason ?? 'no row', acceptedLines[i]);
        continue;
      }
      pushWrite(batch, entry, ticket, key, value, this.options.staleSuffix, this.random);
    }
    if (batch.keys.length > 0) await this.writer.write(batch);
  }

  /**
   * The write batch of a key-list fetch whose values came as bytes: the same checks and outcomes
   * as for rows (no row, rejected by the database, value size), and the value is never a string.
   */
  private byteValueWrites(
    entry: WarmEntry,
    ticket: Ticket,
    keys: readonly string[],
    lines: readonly number[],
    params: readonly string[][],
    rows: ByteValueRows,
    shape: RowShape,
    rejected: ReadonlyMap<number, string>,
  ): WriteBatch | undefined {
    if (entry.source.kind !== 'keys') return undefined;
    const rowOf = matchByteValueRows(entry.source.pattern, keys, params, rows, shape);
    const { maxValueBytes, staleSuffix } = this.options;
    // One item per key (no stale copy, no PTTL look): the batch's columns are allocated once.
    const presized = byteRowsFit(entry) ? new ByteValueBatch(entry, keys.length) : undefined;
    const batch = presized ? undefined : newWriteBatch(entry, true);
    const spans = rows.valueSpans;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const r = rowOf[i] as number;
      const dbReason = rejected.get(i);
      // A NULL value (-1) is written empty, as the row path writes it.
      const valueLength = r >= 0 ? Math.max(0, spans[2 * r + 1] as number) : 0;
      const reason = dbReason ? `the database rejected it: ${dbReason}` : r < 0 ? 'no row for this key' : valueSizeProblem(valueLength, maxValueBytes);
      if (reason !== undefined) {
        this.settleUnwritten(entry.name, key, dbReason || r >= 0 ? 'invalid' : 'missing', reason, lines[i]);
        continue;
      }
      const chunk = rows.chunkList[rows.chunkOf[r] as number] as Buffer;
      if (presized) presized.add(ticket, key, chunk, spans[2 * r] as number, valueLength, this.random);
      else pushWrite(batch as WriteBatch, entry, ticket, key, '', staleSuffix, this.random, chunk, spans[2 * r] as number, valueLength);
    }
    return presized ? presized.finish() : batch;
  }

  /**
   * --only-missing / --refresh-below: keys the cache already holds fresh enough are skipped before
   * the fetch (removed from the arrays in place), so PostgreSQL is asked only for the others.
   * The same rule as the writer's: absent, or an expiring TTL under the refresh threshold.
   */
  private async dropFresh(entry: WarmEntry, keys: string[], lines: number[], params: string[][]): Promise<void> {
    const stale = entry.staleMs !== undefined;
    const probe = stale ? keys.flatMap((k) => [k, k + this.options.staleSuffix]) : keys;
    const pttls = await (this.ports.peek as CachePeekPort).pttls(probe);
    const needs = (pttl: number | undefined, below: number | undefined) =>
      pttl === undefined || pttl === -2 || (below !== undefined && pttl >= 0 && pttl < below);
    const below = entry.refreshBelowMs;
    let kept = 0;
    let skippedItems = 0;
    for (let i = 0; i < keys.length; i++) {
      const need = stale
        ? needs(pttls[2 * i], below) || needs(pttls[2 * i + 1], below === undefined ? undefined : below + (entry.staleMs as number))
        : needs(pttls[i], below);
      if (!need) {
        skippedItems += stale ? 2 : 1;
        continue;
      }
      keys[kept] = keys[i] as string;
      lines[kept] = lines[i] as number;
      for (const p of params) p[kept] = p[i] as string;
      kept++;
    }
    keys.length = kept;
    lines.length = kept;
    for (const p of params) p.length = kept;
    if (skippedItems > 0) {
      this.tally.skipped(entry.name, skippedItems);
      this.emit({ type: 'skipped', entry: entry.name, keys: skippedItems });
    }
  }

  private async runQuery(entry: WarmEntry, start: ResumePoint): Promise<void> {
    const { keyRules, maxValueBytes, staleSuffix } = this.options;
    let position = start.position;
    // For the checkpoint: the last key read, and how many rows had a key before it (NULL keys,
    // sorted last, are neither).
    let lastKey: string | undefined;
    let keyed = 0;
    try {
      const resume = await this.checkQueryResume(entry, start);
      position = resume.position;
      if (resume.afterKey !== undefined) {
        lastKey = resume.afterKey;
        keyed = resume.rowsBefore ?? 0;
      }
      const skip = resume.afterKey !== undefined ? 0 : resume.position;
      const { rows: source } = this.ports;
      // Key and value as bytes from the source to the writer where the entry writes plain SETs.
      const batches =
        byteRowsFit(entry) && source.streamBytes
          ? source.streamBytes(entry, skip, this.stop.signal, resume.afterKey)
          : source.stream(entry, skip, this.stop.signal, resume.afterKey);
      const last = new LastKey(lastKey);
      for await (const got of batches) {
        const count = 'bytes' in got ? got.bytes.count : got.rows.length;
        if ('bytes' in got) keyed += last.trackBytes(got.bytes);
        else keyed += last.trackRows(got.rows, got.shape);
        const mark = last.key !== undefined ? { kind: 'key' as const, key: last.key, rowsBefore: keyed - last.repeats } : undefined;
        const ticket = this.ledger.open(entry, this.entryIndex(entry), position + count, mark);
        const batch = 'bytes' in got ? this.byteBatch(entry, ticket, got.bytes, position) : newWriteBatch(entry);
        if ('rows' in got) {
          const { rows, shape } = got;
          for (let r = 0; r < rows.length; r++) {
            const row = rows[r] as unknown[];
            const rawKey = row[shape.keyIndex];
            const key = typeof rawKey === 'string' ? rawKey : rawKey === null || rawKey === undefined ? '' : String(rawKey);
            const problem = key === '' ? `row ${position + r + 1}: the key column is NULL or empty` : keyProblem(key, keyRules);
            const value = problem ? undefined : valueOf(row, shape, entry.format);
            const reason = problem ?? (value === undefined ? 'no value' : valueProblem(value, maxValueBytes));
            if (reason !== undefined || value === undefined) {
              this.settleUnwritten(entry.name, key, 'invalid', reason ?? 'no value');
              continue;
            }
            pushWrite(batch, entry, ticket, key, value, staleSuffix, this.random);
          }
        }
        position += count;
        this.emit({ type: 'batchFetched', entry: entry.name, keys: count, rows: count, ms: 0 });
        if (batch.keys.length > 0) await this.writer.write(batch);
        this.ledger.seal(ticket);
        if (!(await this.admit(count))) break;
      }
      if (this.stopInfo) this.unread.push(this.unreadQuery(entry, position));
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      // The rows already read are written; the rest of the query cannot be listed key by key (no
      // made-up key in --failed-keys, which `--keys` would read back): it is named as unread, with
      // the error, and the run ends incomplete (exit 1; a --checkpoint resumes from here).
      this.unread.push(this.unreadQuery(entry, position, error.message));
      this.emit({ type: 'nodeError', node: 'PostgreSQL', error: `query ${entry.name} failed after row ${position}: ${error.message}` });
    }
  }

  /**
   * The write batch of streamed byte rows: the same checks as for rows (NULL or empty key, key
   * rules, value size), on the bytes; a key is made text only when it is reported. A NULL value
   * is written empty, as for rows.
   */
  private byteBatch(entry: WarmEntry, ticket: Ticket, rows: ByteRows, position: number): WriteBatch {
    const { spans, chunks } = rows;
    // Almost always every row passes: then the batch takes the rows' columns over whole.
    let firstInvalid = -1;
    for (let r = 0; r < rows.count && firstInvalid < 0; r++) if (this.byteRowProblem(rows, r, position) !== undefined) firstInvalid = r;
    if (firstInvalid < 0) return byteRowsBatch(entry, ticket, chunks, spans, rows.count, this.random);
    const batch = newWriteBatch(entry, true);
    for (let r = 0; r < rows.count; r++) {
      const chunk = chunks[r] as Buffer;
      const keyAt = spans[4 * r] as number;
      const keyLength = spans[4 * r + 1] as number;
      // Rows before the first invalid one were checked above.
      const problem = r < firstInvalid ? undefined : this.byteRowProblem(rows, r, position);
      if (problem !== undefined) {
        this.settleUnwritten(entry.name, keyLength > 0 ? chunk.toString('utf8', keyAt, keyAt + keyLength) : '', 'invalid', problem);
        continue;
      }
      pushByteWrite(batch, entry, ticket, chunk, keyAt, keyLength, spans[4 * r + 2] as number, Math.max(0, spans[4 * r + 3] as number), this.random);
    }
    return batch;
  }

  /** Why streamed row r cannot be written (NULL or empty key, key rules, value size), or undefined. */
  private byteRowProblem(rows: ByteRows, r: number, position: number): string | undefined {
    const { spans } = rows;
    const keyLength = spans[4 * r + 1] as number;
    if (keyLength <= 0) return `row ${position + r + 1}: the key column is NULL or empty`;
    return (
      keyBytesProblem(rows.chunks[r] as Buffer, spans[4 * r] as number, keyLength, this.options.keyRules) ??
      valueSizeProblem(Math.max(0, spans[4 * r + 3] as number), this.options.maxValueBytes)
    );
  }

  /** Rate cap and stop conditions before each batch; false when the run must stop reading. */
  private async admit(keys: number): Promise<boolean> {
    const { rate, deadline } = this.options;
    if (this.stopInfo || this.fatal) return false;
    if (deadline !== undefined && this.now() >= deadline) {
      this.requestStop('deadline', 'the deadline passed; nothing new was started after it');
      return false;
    }
    const pressure = this.options.memoryPressure?.();
    if (pressure !== undefined) {
      this.requestStop('memory', pressure);
      return false;
    }
    if (rate !== undefined) {
      // A batch starts once the time it costs at the cap has passed, so the keys started by any
      // moment never exceed rate x elapsed: the measured rate stays under the cap, not a batch over.
      const due = this.startedAt + ((this.admitted + keys) / rate) * 1000;
      const wait = due - this.now();
      if (wait > 0) await sleep(wait, this.stop.signal);
    }
    this.admitted += keys;
    return !this.stopInfo;
  }

  /** A key that is not written: counted, listed with its reason, and (when it failed) charged to --max-errors. */
  private settleUnwritten(entry: string, key: string, kind: FailureKind, reason: string, line?: number, charge = true, rendered = false): void {
    this.tally.unwritten(entry, kind);
    this.emit({ type: 'keyFailed', entry, key, kind, reason, ...(line !== undefined ? { line } : {}), ...(rendered ? { rendered } : {}) });
    if (kind === 'failed' && charge) {
      this.errors++;
      this.requestStopIfBudget();
    }
  }

  private report(): WriteReport {
    return {
      written: (ticket, keys, stale, node, bytes) => {
        this.tally.written(ticket.entry, keys, stale, node, bytes);
        this.emit({ type: 'written', node, keys, bytes });
        this.ledger.settle(ticket, keys);
      },
      skipped: (ticket, keys) => {
        this.tally.skipped(ticket.entry, keys);
        this.emit({ type: 'skipped', entry: ticket.entry, keys });
        this.ledger.settle(ticket, keys);
      },
      failed: (ticket, key, reason, charge) => {
        this.settleUnwritten(ticket.entry, key, 'failed', reason, undefined, charge ?? true);
        this.ledger.settle(ticket, 1);
      },
      retry: (info) => {
        this.tally.retried();
        this.emit({ type: 'retry', scope: 'redis', node: info.node, attempt: info.attempt, delayMs: info.delayMs, reason: info.reason, keys: info.keys });
      },
      nodeError: (node, error) => this.emit({ type: 'nodeError', node, error }),
      failover: (info) => this.emit({ type: 'failover', ...info }),
      retract: (entry, keys, stale) => this.tally.retract(entry, keys, stale),
      lost: (entry, key, reason, keys = 1) => {
        this.tally.lost(entry, keys);
        this.emit({ type: 'keyFailed', entry, key, kind: 'failed', reason });
      },
      verified: (key, node, problem, detail) => {
        this.tally.verified(problem);
        if (problem) this.emit({ type: 'keyFailed', entry: '(verify)', key, kind: 'failed', reason: verifyReason(problem, node, detail) });
      },
      planned: (key, node, ttlMs) => this.tally.planned({ key, node, ttlMs }),
    };
  }

  private requestStopIfBudget(): void {
    if (this.errors > this.options.maxErrors) {
      this.requestStop('errors', `more than ${this.options.maxErrors} keys failed (--max-errors); stopped to protect the database and the cache`);
    }
  }

  private requestStop(reason: StopReason, detail: string): void {
    if (this.stopInfo) return;
    this.stopInfo = { reason, detail };
    this.emit({ type: 'stopping', reason, detail });
    this.stop.abort(reason);
    // Keys held for a failover are not waited for once the run is stopping.
    this.writer.stop?.(this.notAttemptedReason().replace('not attempted', 'not written'));
  }

  private fail(error: unknown): void {
    this.fatal ??= error;
    this.stop.abort('fatal');
  }

  private emitProgress(): void {
    const done = this.tally.done;
    const elapsedMs = Math.max(1, this.now() - this.startedAt);
    this.emit({
      type: 'progress',
      done,
      ...(this.knownTotal !== undefined ? { total: this.knownTotal } : {}),
      keysPerSecond: Math.round((done * 1000) / elapsedMs),
      elapsedMs,
    });
  }

  private entryIndex(entry: WarmEntry): number {
    return this.options.entries.indexOf(entry);
  }

  private summary(): WarmSummary {
    return this.tally.summary({
      durationMs: Math.max(0, this.now() - this.startedAt),
      dryRun: this.options.dryRun,
      verify: this.options.verify !== 'none',
      ...(this.stopInfo ? { stopped: this.stopInfo } : {}),
      unread: this.unread,
      ...(Object.keys(this.resumed).length > 0 ? { resumed: this.resumed } : {}),
    });
  }
}

function resumePointOf(found: number | ResumePoint | undefined): ResumePoint {
  return typeof found === 'number' ? { position: found } : (found ?? { position: 0 });
}

function verifyReason(problem: VerifyProblem, node: string, detail: string | undefined): string {
  if (problem === 'missing') return `verify: not found on ${node}`;
  if (problem === 'noTtl') return `verify: no TTL on ${node}`;
  return `verify: could not read it back (${detail ?? 'no reply'}); state unknown`;
}
