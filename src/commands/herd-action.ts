/** What `cachectl herd` runs (the live and the HTTP drill), imported by herd.ts only when it runs. */
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { announcer, pgUrlFrom, redisTargetFrom } from './options.js';
import { DEFAULTS, DURATION_RANGES as R } from '../config/defaults.js';
import { formatDuration, parseDuration, parseFraction, parsePositiveInt } from '../config/duration.js';
import { ExitCode, UsageError, registerCredentialsIn, signalExitCode } from '../errors.js';
import { checkAssertions, checkValues, parseAssertions, requireHttpMetrics, type Threshold } from '../core/herd/assert.js';
import { isLoopbackHost } from '../core/herd/loopback.js';
import { runHttpDrill } from '../adapters/herd/http-drill.js';
import { runDrill, type DrillOptions } from '../adapters/herd/drill.js';
import type { RaceOptions } from '../core/herd/drill-types.js';
import { validateFetchSql } from '../adapters/herd/origin.js';
import { drillJson, drillProgress, httpJson, renderBreaches, renderDrillText, renderHttpErrors, renderHttpText, renderWarnings } from '../reporters/herd.js';
import { outputFor } from '../reporters/output.js';
import { readDrillKeys } from './herd-keys.js';
import { parseL1, parseRate, parseStrategies, parseWrites, strategySettingsFrom } from './herd-parse.js';
import type { HerdFlags } from './herd.js';
import { reportFilesFrom, writeHerdFiles } from './report-files.js';

function bounded(value: number, max: number, flag: string): number {
  if (value > max) throw new UsageError(`${flag}: ${value} is above the drill's bound of ${max}`);
  return value;
}

async function httpDrill(flags: HerdFlags, thresholds: Threshold[], ctx: CommandContext): Promise<void> {
  let url: URL;
  registerCredentialsIn(flags.url as string);
  try {
    url = new URL(flags.url as string);
  } catch {
    throw new UsageError(`--url: '${flags.url}' is not a URL; e.g. http://127.0.0.1:8080/products/42`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url: only http:// and https:// (got ${url.protocol})`);
  if (!isLoopbackHost(url.hostname) && !flags.yes) {
    throw new UsageError(`--url: ${url.hostname} is not this machine; a herd is a load test, so confirm with --yes that you may send it there`);
  }
  if (!flags.invalidate) throw new UsageError('--url needs --invalidate <key>: the key the application caches that page under');
  for (const drillOnly of ['fetch', 'keys', 'rate'] as const) {
    if (flags[drillOnly] !== undefined) throw new UsageError(`--${drillOnly} does not apply to an HTTP drill (--url): the application does its own fetching`);
  }
  requireHttpMetrics(thresholds);
  if (flags.report !== undefined || flags.hdrOut !== undefined)
    throw new UsageError(
      `--${flags.report !== undefined ? 'report' : 'hdr-out'} charts a cache-aside drill (--key); an HTTP drill (--url) has only its latency summary: use --json`,
    );
  const d = DEFAULTS.herd;
  const target = redisTargetFrom(flags, ctx.io);
  const result = await runHttpDrill({
    url,
    target,
    announce: announcer(flags, ctx.io, target, flags.pg !== undefined || Boolean(flags.sandbox)),
    pgUrl: flags.pg !== undefined || flags.sandbox ? pgUrlFrom(flags, ctx.io) : undefined,
    invalidate: flags.invalidate,
    clients: bounded(parsePositiveInt(flags.clients, '--clients'), d.maxClients, '--clients'),
    rounds: bounded(parsePositiveInt(flags.rounds, '--rounds'), d.maxRounds, '--rounds'),
    timeoutMs: parseDuration(flags.httpTimeout, '--http-timeout', R.httpTimeout),
    maxTimeMs: parseDuration(flags.maxTime, '--max-time', R.maxTime),
    signal: ctx.io.signal,
  });
  const values = {
    p50: result.latency.p50Ms,
    p95: result.latency.p95Ms,
    p99: result.latency.p99Ms,
    max: result.latency.maxMs,
    errors: result.errors,
    timeouts: result.timeouts,
    skew: result.releaseSkewMs,
  };
  const breaches = checkValues(thresholds, 'http', values);
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  if (out.json) out.document(httpJson(result, breaches));
  else out.result(renderHttpText(result, out.width));
  out.diagnostic(renderHttpErrors(result) + renderBreaches(breaches));
  if (result.interrupted && ctx.io.signal.aborted) ctx.exitCode = signalExitCode(ctx.io.signal);
  else if (breaches.length > 0) ctx.exitCode = ExitCode.incomplete;
}

export async function runHerdCommand(flags: HerdFlags, self: Command, ctx: CommandContext): Promise<void> {
  const d = DEFAULTS.herd;
  const thresholds = flags.assert !== undefined ? parseAssertions(flags.assert) : [];
  if (flags.url !== undefined) return httpDrill(flags, thresholds, ctx);
  if (flags.invalidate !== undefined && flags.writes === undefined)
    throw new UsageError('--invalidate goes with --url (drilling a running application) or --writes (delete or set); for a cache-aside drill use --key');
  if (flags.key !== undefined && flags.keys !== undefined) throw new UsageError('choose one of --key and --keys');
  if (!flags.key && flags.keys === undefined) throw new UsageError('--key: name the hot key to drill, e.g. --key product:42 (or --keys FILE)');
  if (flags.expireTogether && flags.ttlJitter !== undefined)
    throw new UsageError('--expire-together and --ttl-jitter contradict each other: jitter is what keeps keys from expiring together');
  const rate = flags.rate !== undefined && flags.trigger !== 'outage' ? parseRate(flags.rate) : undefined;
  if (rate !== undefined && self.getOptionValueSource('trigger') === 'cli')
    throw new UsageError('--trigger: an open-loop drill (--rate) lets the keys expire naturally; drop --trigger or --rate');
  const ttlJitter = flags.ttlJitter !== undefined ? parseFraction(flags.ttlJitter, '--ttl-jitter') : 0;
  if (ttlJitter > 0 && rate === undefined && flags.trigger === 'delete')
    throw new UsageError('--ttl-jitter: a deleted key has no TTL to jitter; use --trigger ttl or pexpire, or --rate');
  const durationMs = parseDuration(flags.duration, '--duration', R.duration);
  if (rate !== undefined && (rate * durationMs) / 1000 > d.maxOpenLoopRequests)
    throw new UsageError(`--rate x --duration: above the drill's bound of ${d.maxOpenLoopRequests} requests`);
  if (flags.update !== undefined && flags.writes === undefined) throw new UsageError('--update goes with --writes <rate>: how often the drill runs it');
  const race = flags.writes !== undefined ? raceFrom(flags, rate) : undefined;
  if (flags.fetch === undefined && !(race && race.updateSql === undefined))
    throw new UsageError("--fetch: give the query that loads the key, e.g. --fetch 'SELECT * FROM products WHERE id = $1'");
  const fetchSql = flags.fetch !== undefined ? validateFetchSql(flags.fetch) : undefined;
  const clients = bounded(parsePositiveInt(flags.clients, '--clients'), d.maxClients, '--clients');
  const processes = bounded(parsePositiveInt(flags.processes, '--processes'), d.maxProcesses, '--processes');
  const rounds = bounded(parsePositiveInt(flags.rounds, '--rounds'), d.maxRounds, '--rounds');
  const expireInMs = parseDuration(flags.expireIn, '--expire-in', R.expireIn);
  const spreadMs = flags.spread !== undefined ? parseDuration(flags.spread, '--spread', R.spread) : flags.trigger === 'delete' ? 0 : 2 * expireInMs;
  const keys = flags.keys !== undefined ? await readDrillKeys(flags.keys, ctx.io) : [flags.key as string];
  const settings = strategySettingsFrom(flags, ttlJitter);
  const outage = flags.trigger === 'outage' ? outageFrom(flags, self, settings.breakerTimeoutMs, keys.length) : undefined;
  if (race && (keys.length > 1 || outage))
    throw new UsageError('--writes races one key (--key) through a herd; it does not combine with --keys or --trigger outage');
  const drill = {
    pgUrl: pgUrlFrom(flags, ctx.io),
    keys,
    prime: flags.prime,
    ...(rate !== undefined ? { openLoop: { ratePerSec: rate, durationMs, maxRequests: d.maxOpenLoopRequests } } : {}),
    ...(flags.param !== undefined ? { param: flags.param } : {}),
    fetchSql,
    clients: clients * processes,
    processes,
    rounds,
    strategies: parseStrategies(flags.strategy),
    trigger: flags.trigger,
    expireInMs,
    spreadMs,
    dbDelayMs: parseDuration(flags.dbDelay, '--db-delay', R.dbDelay),
    pgPoolSize: parsePositiveInt(flags.pgPool, '--pg-pool'),
    seed: parsePositiveInt(flags.seed, '--seed', { allowZero: true }),
    maxTimeMs: parseDuration(flags.maxTime, '--max-time', R.maxTime),
    settings,
    redisTimeoutMs: parseDuration(flags.redisTimeout, '--redis-timeout', R.redisTimeout),
    ...(outage ? { outage } : {}),
    ...(race ? { race } : {}),
    ...(flags.l1 !== undefined ? { l1: parseL1(flags.l1) } : {}),
    signal: ctx.io.signal,
  };
  const files = await reportFilesFrom(flags, ctx.io);
  const target = redisTargetFrom(flags, ctx.io);
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  const result = await runDrill({ ...drill, target, announce: announcer(flags, ctx.io, target, true) }, drillProgress(out));
  const breaches = checkAssertions(thresholds, result.reports);
  if (out.json) out.document(drillJson(result, breaches));
  else out.result(renderDrillText(result, out.style, out.width));
  out.diagnostic(await writeHerdFiles(files, result));
  out.diagnostic(renderWarnings(result.reports) + renderBreaches(breaches));
  if (result.interrupted && ctx.io.signal.aborted) ctx.exitCode = signalExitCode(ctx.io.signal);
  else if (breaches.length > 0) ctx.exitCode = ExitCode.incomplete;
}

/**
 * --trigger outage: reads arrive at --rate (Poisson) for --duration, by default the lead before
 * the outage, the outage, and long enough after it for a breaker to close again.
 */
function outageFrom(flags: HerdFlags, self: Command, breakerTimeoutMs: number, keyCount: number): NonNullable<DrillOptions['outage']> {
  const d = DEFAULTS.herd;
  if (keyCount > 1) throw new UsageError("--trigger outage drills one key (--key): the outage takes that key's node away");
  const durationMs = parseDuration(flags.outage, '--outage', R.outage);
  if (durationMs <= 0) throw new UsageError('--outage: give how long the node is unavailable, e.g. 5s');
  if (durationMs > d.maxOutageMs) throw new UsageError(`--outage: ${flags.outage} is above the drill's bound of ${d.maxOutageMs / 1000}s`);
  const ratePerSec = flags.rate !== undefined ? parseRate(flags.rate) : d.outageRate;
  const windowMs =
    self.getOptionValueSource('duration') === 'cli'
      ? parseDuration(flags.duration, '--duration', R.duration)
      : d.outageLeadMs + durationMs + 3_000 + breakerTimeoutMs;
  if (windowMs <= d.outageLeadMs + durationMs)
    throw new UsageError(`--duration: the reads must go on after the outage ends (${formatDuration(d.outageLeadMs + durationMs)} after the start)`);
  if ((ratePerSec * windowMs) / 1000 > d.maxOpenLoopRequests)
    throw new UsageError(`--rate x --duration: above the drill's bound of ${d.maxOpenLoopRequests} requests`);
  return { mode: flags.outageMode, durationMs, leadMs: d.outageLeadMs, yes: flags.yes === true, ratePerSec, windowMs };
}

/** --writes: the invalidation race on the scratch table, or on the operator's row with --update. */
function raceFrom(flags: HerdFlags, rate: number | undefined): RaceOptions {
  if (rate !== undefined) throw new UsageError('--writes races a herd (rounds of expiries); drop --rate');
  const ratePerSec = parseWrites(flags.writes as string);
  const invalidate = flags.invalidate ?? 'delete';
  if (invalidate !== 'delete' && invalidate !== 'set')
    throw new UsageError(`--invalidate: with --writes it is the application's invalidation, delete or set (got '${invalidate}')`);
  if (flags.update === undefined && flags.fetch !== undefined) {
    throw new UsageError(
      '--writes without --update races on a scratch table the drill reads itself; drop --fetch, or give --update for the row your --fetch reads',
    );
  }
  const versionColumn = flags.versionColumn.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(versionColumn)) throw new UsageError(`--version-column: '${flags.versionColumn}' is not a column name`);
  return { ratePerSec, invalidate, versionColumn, ...(flags.update !== undefined ? { updateSql: validateFetchSql(flags.update, '--update') } : {}) };
}
