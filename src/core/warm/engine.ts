/**
 * The warm engine: tiers in order, entries within a tier one after another, fetches bounded
 * by a semaphore, writes handed to the CacheWriter (which applies backpressure), outcomes
 * counted per entry and node, and a summary at the end. Pure orchestration over ports.
 */
import { matchKey } from '../../sources/pattern.js';
import type { KeyLineBatch } from '../../sources/keylist.js';
import { matchRows, newWriteBatch, pushWrite, valueProblem } from './batch.js';
import { FetchError, type CacheWriter, type KeyListPort, type RowSourcePort, type Ticket, type WriteReport } from './ports.js';
import { Semaphore, sleep } from './semaphore.js';
import type { WarmSummary } from './summary.js';
import { RunTally } from './tally.js';
import { keyProblem } from './validate.js';
import type { StopReason, WarmEventListener } from './events.js';
import type { VerifyProblem } from './ports.js';
import type { FailureKind, WarmEntry, WarmOptions } from './types.js';
import { TicketLedger } from './tickets.js';
import { valueOf } from './values.js';

export interface WarmPorts {
  keys: KeyListPort;
  rows: RowSourcePort;
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

  constructor(
    private readonly options: WarmOptions,
    private readonly ports: WarmPorts,
    private readonly emit: WarmEventListener,
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.ledger = new TicketLedger(options.checkpoint, (error) => this.fail(error));
  }

  async run(): Promise<WarmSummary> {
    const { options } = this;
    this.writer = this.ports.writer(this.report());
    this.tally = new RunTally(options.entries, this.writer.nodeNames);
    this.startedAt = this.now();
    const onAbort = () => this.requestStop('signal', `interrupted by ${String(options.signal?.reason ?? 'signal')}`);
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
    const skip = (await this.options.checkpoint?.resumeFrom(entry.name)) ?? 0;
    if (entry.source.kind === 'keys') await this.runKeyList(entry, skip);
    else await this.runQuery(entry, skip);
  }

  private async runKeyList(entry: WarmEntry, skip: number): Promise<void> {
    const slots = new Semaphore(this.options.pgConcurrency);
    const batches = this.ports.keys.open(entry, skip)[Symbol.asyncIterator]();
    let lastLine = skip;
    for (;;) {
      const next = await batches.next();
      if (next.done) break;
      const batch = next.value;
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
      const ticket = this.ledger.open(entry, this.entryIndex(entry), batch.lines[batch.lines.length - 1] ?? 0);
      this.processKeyBatch(entry, ticket, batch.keys, batch.lines)
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          this.ledger.seal(ticket);
          slots.release();
        });
    }
    await slots.idle();
    if (this.stopInfo && !this.fatal) await this.listRest(entry, batches, lastLine);
  }

  /** An entry the run never started because it stopped first. */
  private async notStarted(entry: WarmEntry): Promise<void> {
    const skip = (await this.options.checkpoint?.resumeFrom(entry.name)) ?? 0;
    if (entry.source.kind === 'keys') await this.listRest(entry, this.ports.keys.open(entry, skip)[Symbol.asyncIterator]());
    else this.unread.push({ entry: entry.name, source: 'query', rowsRead: 0, ...(entry.source.count !== undefined ? { rowsLeft: Math.max(0, entry.source.count - skip) } : {}) });
  }

  /**
   * The rest of a key list after an early stop: every key is counted and listed as not attempted
   * (--failed-keys then holds exactly what a rerun with --keys must take), nothing is fetched.
   */
  private async listRest(entry: WarmEntry, batches: AsyncIterator<KeyLineBatch>, linesRead = 0): Promise<void> {
    if (entry.source.kind === 'keys' && entry.source.keysFile === '-' && this.stopInfo?.reason === 'signal') {
      // A signal must end the run now, and a pipe may never end: the rest of stdin is left unread.
      await batches.return?.();
      this.unread.push({ entry: entry.name, source: 'stdin', rowsRead: linesRead });
      return;
    }
    for (;;) {
      const next = await batches.next();
      if (next.done) return;
      this.listNotAttempted(entry, next.value.keys, next.value.lines);
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
    return `not attempted: stopped by ${String(this.options.signal?.reason ?? 'a signal')}`;
  }

  private async processKeyBatch(entry: WarmEntry, ticket: Ticket, keys: string[], lines: number[]): Promise<void> {
    if (entry.source.kind !== 'keys') return;
    const { pattern } = entry.source;
    const { keyFilter, keyRules } = this.options;
    const accepted: string[] = [];
    const acceptedLines: number[] = [];
    const params: string[][] = pattern.params.map(() => []);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (keyFilter && !keyFilter(key)) continue;
      const problem = keyProblem(key, keyRules);
      const parts = problem ? undefined : matchKey(pattern, key);
      if (problem || !parts) {
        this.settleUnwritten(entry.name, key, 'invalid', problem ?? `does not match the pattern ${pattern.source}`, lines[i]);
        continue;
      }
      accepted.push(key);
      acceptedLines.push(lines[i] as number);
      for (let p = 0; p < parts.length; p++) (params[p] as string[]).push(parts[p] as string);
    }
    if (accepted.length === 0) return;
    const started = this.now();
    let fetched;
    try {
      fetched = await this.ports.rows.fetch(entry, params, accepted.length);
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      for (let i = 0; i < accepted.length; i++) this.settleUnwritten(entry.name, accepted[i] as string, 'failed', error.message, acceptedLines[i]);
      return;
    }
    this.emit({ type: 'batchFetched', entry: entry.name, keys: accepted.length, rows: fetched.rows.length, ms: this.now() - started });
    const rejected = new Map(fetched.invalid.map((x) => [x.index, x.reason]));
    const values = matchRows(pattern, accepted, fetched.rows, fetched.shape, entry.format, params.length === 1 ? params[0] : undefined);
    const batch = newWriteBatch(entry);
    for (let i = 0; i < accepted.length; i++) {
      const key = accepted[i] as string;
      const dbReason = rejected.get(i);
      const value = values[i];
      const reason = dbReason ? `the database rejected it: ${dbReason}` : value === undefined ? 'no row for this key' : valueProblem(value, this.options.maxValueBytes);
      if (reason !== undefined || value === undefined) {
        this.settleUnwritten(entry.name, key, dbReason || value !== undefined ? 'invalid' : 'missing', reason ?? 'no row', acceptedLines[i]);
        continue;
      }
      pushWrite(batch, entry, ticket, key, value, this.options.staleSuffix, this.random);
    }
    if (batch.keys.length > 0) await this.writer.write(batch);
  }

  private async runQuery(entry: WarmEntry, skip: number): Promise<void> {
    const { keyRules, maxValueBytes, staleSuffix } = this.options;
    let position = skip;
    try {
      for await (const { rows, shape } of this.ports.rows.stream(entry, skip, this.stop.signal)) {
        const ticket = this.ledger.open(entry, this.entryIndex(entry), position + rows.length);
        const batch = newWriteBatch(entry);
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
        position += rows.length;
        this.emit({ type: 'batchFetched', entry: entry.name, keys: rows.length, rows: rows.length, ms: 0 });
        if (batch.keys.length > 0) await this.writer.write(batch);
        this.ledger.seal(ticket);
        if (!(await this.admit(rows.length))) break;
      }
      if (this.stopInfo) {
        const count = entry.source.kind === 'query' ? entry.source.count : undefined;
        this.unread.push({ entry: entry.name, source: 'query', rowsRead: position, ...(count !== undefined ? { rowsLeft: Math.max(0, count - position) } : {}) });
      }
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      // The rows already read are written; the rest of the query cannot be listed key by key.
      this.settleUnwritten(entry.name, `(query ${entry.name} after row ${position})`, 'failed', error.message);
    }
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
  private settleUnwritten(entry: string, key: string, kind: FailureKind, reason: string, line?: number, charge = true): void {
    this.tally.unwritten(entry, kind);
    this.emit({ type: 'keyFailed', entry, key, kind, reason, ...(line !== undefined ? { line } : {}) });
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
    this.emit({ type: 'progress', done, ...(this.knownTotal !== undefined ? { total: this.knownTotal } : {}), keysPerSecond: Math.round((done * 1000) / elapsedMs), elapsedMs });
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
    });
  }
}

function verifyReason(problem: VerifyProblem, node: string, detail: string | undefined): string {
  if (problem === 'missing') return `verify: not found on ${node}`;
  if (problem === 'noTtl') return `verify: no TTL on ${node}`;
  return `verify: could not read it back (${detail ?? 'no reply'}); state unknown`;
}
