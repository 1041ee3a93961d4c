/**
 * `cachectl warm` flags translated into one typed WarmOptions object
 * (warmlists read through adapters/files and checked here, before anything connects).
 */
import { DEFAULTS, DURATION_RANGES as R } from '../config/defaults.js';
import { parseDuration, parseFraction, parsePositiveInt } from '../config/duration.js';
import { InputError, UsageError } from '../errors.js';
import { parsePattern } from '../core/warm/pattern.js';
import type { EntryDefaults, OnOverride } from '../core/warm/warmlist.js';
import { readWarmlist } from '../adapters/files/warmlist-file.js';
import type { WarmEntry, WarmOptions } from '../core/warm/types.js';
import type { IO } from '../io.js';
import type { WarmFlags } from './warm-flags.js';

/** Resolved options plus what the command itself needs (output choices). */
export interface WarmPlan {
  options: WarmOptions;
  statementTimeoutMs: number;
  json: boolean;
  failedKeys?: string;
  /** Said on stderr before the run: e.g. which warmlist settings a flag replaced. */
  notes: string[];
}

export function planFromFlags(files: string[], flags: WarmFlags, io: IO): WarmPlan {
  const d = DEFAULTS.warm;
  const int = (v: string | undefined, name: string, fallback: number, allowZero = false) =>
    v === undefined ? fallback : parsePositiveInt(v, name, { allowZero });
  const defaults: EntryDefaults = {};
  if (flags.ttl !== undefined) defaults.ttlMs = flags.ttl === 'none' ? null : parseDuration(flags.ttl, '--ttl', R.ttl);
  if (flags.jitter !== undefined) defaults.jitter = parseFraction(flags.jitter, '--jitter');
  if (flags.format !== undefined) defaults.format = flags.format as 'string' | 'hash';
  if (flags.stale !== undefined) defaults.staleMs = parseDuration(flags.stale, '--stale', R.stale);
  const refreshBelowMs = flags.refreshBelow !== undefined ? parseDuration(flags.refreshBelow, '--refresh-below', R.refreshBelow) : undefined;

  const overridden = new Map<string, string[]>();
  const onOverride = (file: string) => (entry: string, field: string, line: number | undefined) => {
    overridden.set(field, [...(overridden.get(field) ?? []), `${entry} (${file}${line !== undefined ? `:${line}` : ''})`]);
  };
  let entries = files.length > 0 ? entriesFromFiles(files, flags, defaults, io, onOverride) : [adHocEntry(flags, defaults)];
  const notes = [...overridden].map(
    ([field, where]) =>
      `--${field} ${String(flags[field as 'ttl' | 'jitter' | 'format' | 'stale'])} wins over the warmlist's \`${field}:\` of ${listSome(where)}`,
  );
  // Run modes for cron rewarms apply to every entry.
  entries = entries.map((e) => ({
    ...e,
    onlyMissing: e.onlyMissing || Boolean(flags.onlyMissing),
    ...(refreshBelowMs !== undefined ? { refreshBelowMs } : {}),
  }));
  if (flags.only && flags.only.length > 0) {
    const unknown = flags.only.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length > 0) throw new UsageError(`--only: no entry named ${unknown.join(', ')}; entries are ${entries.map((e) => e.name).join(', ')}`);
    entries = entries.filter((e) => flags.only?.includes(e.name));
  }
  if (entries.filter((e) => e.source.kind === 'keys' && e.source.keysFile === '-').length > 1)
    throw new UsageError('only one entry can read its keys from stdin');
  const verifySample = flags.verifySample !== undefined ? parsePositiveInt(flags.verifySample, '--verify-sample') : undefined;
  const rate = flags.rate !== undefined ? parsePositiveInt(flags.rate, '--rate') : undefined;
  // Under --rate a batch starts when its keys' time at the cap has come, all at once: the default
  // sizes are cut to a quarter second's worth, so the database sees the cap, not bursts of 2,000.
  const paced = (size: number) => (rate === undefined ? size : Math.min(size, Math.max(1, Math.ceil(rate / 4))));
  const options: WarmOptions = {
    entries,
    batchSize: int(flags.batchSize, '--batch-size', paced(d.batchSize)),
    cursorRows: Math.max(int(flags.batchSize, '--batch-size', paced(d.cursorRows)), 1),
    // An explicit --batch-size is taken as it is; the default adapts to the rows' size.
    ...(flags.batchSize === undefined ? { fetchBytes: d.fetchBytes } : {}),
    pgConcurrency: int(flags.pgConcurrency, '--pg-concurrency', d.pgConcurrency),
    pipelineSize: int(flags.pipelineSize, '--pipeline-size', d.pipelineSize),
    redisInFlight: int(flags.inFlight, '--in-flight', d.redisInFlight),
    waitReplicas: int(flags.waitReplicas, '--wait-replicas', 1, true),
    ...(rate !== undefined ? { rate } : {}),
    maxErrors: int(flags.maxErrors, '--max-errors', d.maxErrors, true),
    retries: int(flags.retries, '--retries', d.retries, true),
    retryBaseMs: d.retryBaseMs,
    ...(flags.failoverWait !== undefined ? { failoverWaitMs: parseDuration(flags.failoverWait, '--failover-wait', R.failoverWait) } : {}),
    staleSuffix: flags.staleSuffix ?? d.staleSuffix,
    keyRules: {
      maxKeyBytes: int(flags.maxKeyBytes, '--max-key-bytes', DEFAULTS.keys.maxKeyBytes),
      rejectControlChars: flags.allowControlChars ? false : DEFAULTS.keys.rejectControlChars,
    },
    maxValueBytes: int(flags.maxValueBytes, '--max-value-bytes', d.maxValueBytes),
    dryRun: Boolean(flags.dryRun),
    verify: verifySample !== undefined ? verifySample : flags.verify ? 'all' : 'none',
    progressIntervalMs:
      flags.progressInterval !== undefined ? parseDuration(flags.progressInterval, '--progress-interval', R.progressInterval) : d.progressIntervalMs,
    signal: io.signal,
  };
  if (options.staleSuffix === '') throw new UsageError('--stale-suffix: must not be empty (the stale copy would overwrite the key)');
  return {
    options,
    statementTimeoutMs:
      flags.statementTimeout !== undefined
        ? parseDuration(flags.statementTimeout, '--statement-timeout', R.statementTimeout)
        : DEFAULTS.connection.statementTimeoutMs,
    json: Boolean(flags.json),
    notes,
    ...(flags.failedKeys !== undefined ? { failedKeys: flags.failedKeys } : {}),
  };
}

function listSome(items: string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function entriesFromFiles(files: string[], flags: WarmFlags, defaults: EntryDefaults, io: IO, onOverride: (file: string) => OnOverride): WarmEntry[] {
  for (const f of ['keys', 'pattern', 'fetch', 'query'] as const) {
    if (flags[f] !== undefined) throw new UsageError(`--${f}: give either warmlist files or ad hoc --keys/--query flags, not both`);
  }
  const entries: WarmEntry[] = [];
  for (const file of files) {
    for (const entry of readWarmlist(io.cwd, file, defaults, onOverride(file))) {
      if (entries.some((e) => e.name === entry.name))
        throw new InputError(`entry name '${entry.name}' is used in two warmlists; names must be unique`, {
          file,
          line: entry.origin.line ?? 0,
          field: 'name',
        });
      entries.push(entry);
    }
  }
  return entries;
}

function adHocEntry(flags: WarmFlags, defaults: EntryDefaults): WarmEntry {
  if (flags.keys === undefined && flags.query === undefined) {
    throw new UsageError('nothing to warm: give warmlist files, or --keys FILE --pattern P --fetch SQL, or --query SQL');
  }
  if (flags.keys !== undefined && flags.query !== undefined) throw new UsageError('--keys and --query: choose one source (use a warmlist for several)');
  if (defaults.ttlMs === undefined) throw new UsageError('--ttl is required: every key is written with a TTL (e.g. --ttl 1h, or --ttl none)');
  const common = {
    tier: 1,
    ttlMs: defaults.ttlMs,
    jitter: defaults.jitter ?? 0,
    format: defaults.format ?? ('string' as const),
    ...(defaults.staleMs !== undefined ? { staleMs: defaults.staleMs } : {}),
    onlyMissing: false,
    origin: {},
  };
  if (flags.query !== undefined) {
    for (const f of ['pattern', 'fetch'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} belongs with --keys, not --query`);
    const count = flags.count !== undefined ? parsePositiveInt(flags.count, '--count', { allowZero: true }) : undefined;
    return { ...common, name: flags.name ?? 'query', source: { kind: 'query', sql: flags.query, ...(count !== undefined ? { count } : {}) } };
  }
  if (flags.pattern === undefined) throw new UsageError("--keys needs --pattern, e.g. --pattern 'product:{id}'");
  if (flags.fetch === undefined)
    throw new UsageError('--keys needs --fetch, e.g. --fetch "SELECT id, row_to_json(p)::text AS value FROM products p WHERE id = ANY($1::bigint[])"');
  if (flags.count !== undefined) throw new UsageError('--count is for --query (a key list is counted)');
  return {
    ...common,
    name: flags.name ?? 'keys',
    source: { kind: 'keys', keysFile: flags.keys as string, pattern: parsePattern(flags.pattern), fetch: flags.fetch },
  };
}
