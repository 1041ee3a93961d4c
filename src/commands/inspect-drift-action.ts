/** `cachectl inspect drift <warmlist>`: flags parsed, the warmlist read, PostgreSQL opened around the view. */
import { InputError } from '../errors.js';
import { KeyListFile, type KeyListFileFailure } from '../adapters/files/key-list-file.js';
import { createPgPool, verifyPg } from '../adapters/postgres/pool.js';
import { checkEntrySql } from '../adapters/postgres/warm-check.js';
import { PgWarmSource } from '../adapters/postgres/warm-source.js';
import { DEFAULTS, DURATION_RANGES } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import { driftMetrics, inspectDrift, type DriftOptions } from '../core/inspect/drift.js';
import { UsageError } from '../errors.js';
import { renderDrift } from '../reporters/inspect-drift.js';
import { keyListPort } from '../adapters/files/key-list-reader.js';
import type { CommandContext } from './context.js';
import type { InspectFlags } from './inspect.js';
import { runView, sessionFrom } from './inspect-session.js';
import { readWarmlist } from '../adapters/files/warmlist-file.js';
import { pgUrlFrom } from './options.js';

export async function inspectDriftAction(file: string, flags: InspectFlags, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  if (flags.all && flags.sample !== undefined) throw new UsageError('--sample and --all: choose one (a sample of N keys per entry, or every key)');
  const int = (v: string | undefined, name: string, fallback: number) => (v === undefined ? fallback : parsePositiveInt(v, name));
  let entries = readWarmlist(io.cwd, file);
  if (flags.entry && flags.entry.length > 0) {
    const unknown = flags.entry.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length > 0)
      throw new UsageError(`--entry: no entry named ${unknown.join(', ')} in ${file}; entries are ${entries.map((e) => e.name).join(', ')}`);
    entries = entries.filter((e) => flags.entry?.includes(e.name));
  }
  // The same session as every view (target, --watch, --fail-on), and a topology line that names the database too.
  const session = sessionFrom(flags, io, 'drift', true);
  const batchSize = int(flags.batchSize, '--batch-size', DEFAULTS.warm.batchSize);
  const concurrency = int(flags.pgConcurrency, '--pg-concurrency', DEFAULTS.warm.pgConcurrency);
  const statementTimeoutMs =
    flags.statementTimeout !== undefined
      ? parseDuration(flags.statementTimeout, '--statement-timeout', DURATION_RANGES.statementTimeout)
      : DEFAULTS.connection.statementTimeoutMs;
  const options: DriftOptions = {
    entries,
    ...(flags.all ? {} : { sample: int(flags.sample, '--sample', DEFAULTS.inspect.driftSample) }),
    fromList: Boolean(flags.fromList),
    batchSize,
    // As warm's: without --batch-size, fetches are sized by their values' bytes.
    ...(flags.batchSize === undefined ? { fetchBytes: DEFAULTS.warm.fetchBytes } : {}),
    concurrency,
    rate: flags.rate !== undefined ? parsePositiveInt(flags.rate, '--rate') : 0,
    scanCount: int(flags.count, '--count', DEFAULTS.inspect.scanCount),
    staleSuffix: flags.staleSuffix ?? DEFAULTS.warm.staleSuffix,
    ...(flags.updatedColumn !== undefined ? { updatedColumn: flags.updatedColumn } : {}),
    examples: flags.examples !== undefined ? parsePositiveInt(flags.examples, '--examples', { allowZero: true }) : 5,
    signal: io.signal,
  };
  const pgUrl = pgUrlFrom(flags, io);
  const pool = createPgPool({ url: pgUrl, max: concurrency + 1, statementTimeoutMs, onError: () => undefined });
  try {
    // Named before the first connection, which for drift is PostgreSQL's (the session's own call is then a no-op).
    session.announce?.();
    await verifyPg(pool, pgUrl);
    for (const entry of entries) await checkEntrySql(pool, entry);
    const rows = new PgWarmSource(pool, {
      cursorRows: DEFAULTS.warm.cursorRows,
      statementTimeoutMs,
      retries: DEFAULTS.warm.retries,
      retryBaseMs: DEFAULTS.warm.retryBaseMs,
      emit: () => undefined,
    });
    const keys = keyListPort(io.cwd, io.stdin, batchSize);
    await runView(ctx, session, {
      name: 'drift',
      scans: false,
      run: async (source, facts, onEvent) => {
        const out =
          flags.driftedKeys !== undefined
            ? KeyListFile.open(
                flags.driftedKeys,
                io.cwd,
                `keys whose cached value differs from the database (cachectl inspect drift ${file}): key<TAB># kind [entry]; rewarm with cachectl warm --keys`,
                { what: 'the key list' },
              )
            : undefined;
        let failure: KeyListFileFailure | undefined;
        let result: Awaited<ReturnType<typeof inspectDrift>>;
        try {
          result = await inspectDrift(
            source,
            { rows, keys },
            { ...options, onEvent, ...(out ? { onDrifted: (entry, key, kind, detail) => out.add(key, `${kind}: ${detail} [${entry}]`) } : {}) },
            facts,
          );
        } finally {
          failure = out?.close();
        }
        // A drift report whose key list silently misses keys would send a rewarm short.
        if (failure && out)
          throw new InputError(`cannot write the key list (${failure.code}): ${failure.lost} of the ${out.count} drifted keys are not listed there`, {
            file: out.path,
          });
        return result;
      },
      metrics: driftMetrics,
      figures: (r) => r.entries.map((e) => ({ subject: e.entry, metric: 'drifted keys', value: e.different + (e.missingInDb ?? 0), worse: 'up' as const })),
      render: renderDrift,
      nodes: (r) => r.nodes,
    });
  } finally {
    await pool.end().catch(() => undefined);
  }
}
