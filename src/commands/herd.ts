/**
 * `cachectl herd`: fire a thundering herd at one key and measure, per stampede defence, how many
 * queries reached PostgreSQL (counted by PostgreSQL), how slow the readers were, and what they got.
 */
import { Option, type Command } from 'commander';
import type { CommandContext } from './context.js';
import { addPgOptions, addRedisOptions, pgUrlFrom, redisTargetFrom } from './options.js';
import type { ConnectionFlags } from '../config/target.js';
import { DEFAULTS } from '../config/defaults.js';
import { parseDuration, parseFraction, parsePositiveInt } from '../config/duration.js';
import { ExitCode, UsageError } from '../errors.js';
import { STRATEGY_NAMES, type OnLockTimeout, type StrategyName, type StrategySettings } from '../core/herd/types.js';
import { isStrategyName } from '../core/herd/strategies/index.js';
import { checkAssertions, checkValues, parseAssertions, requireHttpMetrics, type Threshold } from '../core/herd/assert.js';
import { isLoopbackHost } from '../core/herd/loopback.js';
import { runHttpDrill } from '../adapters/herd/http-drill.js';
import { runDrill, type Trigger } from '../adapters/herd/drill.js';
import { validateFetchSql } from '../adapters/herd/origin.js';
import { drillProgress, reportBreaches, reportDrillJson, reportDrillText, reportHttpErrors, reportHttpJson, reportHttpText, reportWarnings } from '../reporters/herd.js';
import { registerHerdSimulate } from './herd-simulate.js';
import { readDrillKeys } from './herd-keys.js';

interface HerdFlags extends ConnectionFlags {
  key?: string;
  keys?: string;
  expireTogether?: boolean;
  ttlJitter?: string;
  prime: boolean;
  rate?: string;
  duration: string;
  fetch?: string;
  param?: string;
  clients: string;
  processes: string;
  rounds: string;
  strategy: string;
  trigger: Trigger;
  expireIn: string;
  spread?: string;
  ttl: string;
  dbDelay: string;
  beta: string;
  lockTtl: string;
  lockWait: string;
  onLockTimeout: OnLockTimeout;
  staleWindow: string;
  pgPool: string;
  seed: string;
  maxTime: string;
  json?: boolean;
  assert?: string;
  url?: string;
  invalidate?: string;
  yes?: boolean;
  httpTimeout: string;
}

/** `all` or a comma list; order kept, duplicates dropped. */
export function parseStrategies(text: string): StrategyName[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--strategy: give one or more of ${STRATEGY_NAMES.join(', ')}, or all`);
  if (names.includes('all')) return [...STRATEGY_NAMES];
  for (const n of names) if (!isStrategyName(n)) throw new UsageError(`--strategy: unknown strategy '${n}'; choose from ${STRATEGY_NAMES.join(', ')}, all`);
  return [...new Set(names)] as StrategyName[];
}

export function parseRate(text: string): number {
  const rate = Number(text);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`--rate: '${text}' must be requests per second above 0`);
  return rate;
}

export function parseBeta(text: string): number {
  const beta = Number(text);
  if (!Number.isFinite(beta) || beta <= 0) throw new UsageError(`--beta: '${text}' must be a number above 0 (1 is the paper's optimum)`);
  return beta;
}

/** The strategy knobs shared by the live drill and the simulator, parsed from their common flags. */
export function strategySettingsFrom(
  flags: { ttl: string; beta: string; lockTtl: string; lockWait: string; onLockTimeout: OnLockTimeout; staleWindow: string },
  ttlJitter: number,
): Omit<StrategySettings, 'keepStale'> {
  const d = DEFAULTS.herd;
  return {
    ttlMs: parseDuration(flags.ttl, '--ttl'),
    ttlJitter,
    beta: parseBeta(flags.beta),
    lockTtlMs: parseDuration(flags.lockTtl, '--lock-ttl'),
    lockWaitMs: parseDuration(flags.lockWait, '--lock-wait'),
    lockPollMs: d.lockPollMs,
    lockPollMaxMs: d.lockPollMaxMs,
    onLockTimeout: flags.onLockTimeout,
    staleWindowMs: parseDuration(flags.staleWindow, '--stale-window'),
    stampedeWindowMs: d.stampedeWindowMs,
  };
}

function bounded(value: number, max: number, flag: string): number {
  if (value > max) throw new UsageError(`${flag}: ${value} is above the drill's bound of ${max}`);
  return value;
}

async function httpDrill(flags: HerdFlags, thresholds: Threshold[], ctx: CommandContext): Promise<void> {
  let url: URL;
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
  const d = DEFAULTS.herd;
  const result = await runHttpDrill({
    url,
    target: redisTargetFrom(flags, ctx.io),
    pgUrl: flags.pg !== undefined || flags.sandbox ? pgUrlFrom(flags, ctx.io) : undefined,
    invalidate: flags.invalidate,
    clients: bounded(parsePositiveInt(flags.clients, '--clients'), d.maxClients, '--clients'),
    rounds: bounded(parsePositiveInt(flags.rounds, '--rounds'), d.maxRounds, '--rounds'),
    timeoutMs: parseDuration(flags.httpTimeout, '--http-timeout'),
    maxTimeMs: parseDuration(flags.maxTime, '--max-time'),
    signal: ctx.io.signal,
  });
  const values = { p50: result.latency.p50Ms, p95: result.latency.p95Ms, p99: result.latency.p99Ms, max: result.latency.maxMs, errors: result.errors, timeouts: result.timeouts, skew: result.releaseSkewMs };
  const breaches = checkValues(thresholds, 'http', values);
  if (flags.json) reportHttpJson(ctx.io.stdout, result, breaches);
  else reportHttpText(ctx.io.stdout, result);
  reportHttpErrors(ctx.io.stderr, result);
  reportBreaches(ctx.io.stderr, breaches);
  if (result.interrupted && ctx.io.signal.aborted) ctx.exitCode = ctx.io.signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  else if (breaches.length > 0) ctx.exitCode = ExitCode.incomplete;
}

export function registerHerd(program: Command, ctx: CommandContext): Command {
  const d = DEFAULTS.herd;
  const cmd = program
    .command('herd')
    .description('Fire a thundering herd at a key and measure what reaches PostgreSQL, per stampede defence')
    .option('--key <key>', 'the hot key to expire, e.g. product:42 (its stale copy, lock and stampede counter derive from it)')
    .option('--keys <file>', 'drill many keys at once (a cache restart): a key list, one key per line')
    .option('--expire-together', 'with --keys: every key expires at the same instant (the default; conflicts with --ttl-jitter)')
    .option('--ttl-jitter <percent>', 'spread TTLs: each TTL is ttl x (1 + jitter x rand), e.g. 20%')
    .option('--no-prime', 'do not write the keys first: drill what cachectl warm or the application left there')
    .option('--rate <req/s>', 'open loop: Poisson arrivals at this rate across natural expiries, instead of a herd')
    .option('--duration <duration>', 'open loop: how long to send', '60s')
    .option('--fetch <sql>', "the query that loads the key, with $1 for the key's id, e.g. 'SELECT * FROM products WHERE id = $1'")
    .option('--param <value>', "value for $1 (default: the key's last ':' part, product:42 -> 42)")
    .option('--clients <n>', 'virtual clients (per process), each with its own connections', String(d.clients))
    .option('--processes <n>', 'worker processes, like application instances (coalesce dedups only inside one)', String(d.processes))
    .option('--rounds <n>', 'expiries to fire per strategy', String(d.rounds))
    .option('--strategy <names>', `comma list of ${STRATEGY_NAMES.join(', ')}, or all`, d.strategies)
    .addOption(new Option('--trigger <how>', 'how the key expires: delete it, a short PEXPIRE, or its natural TTL').choices(['delete', 'pexpire', 'ttl']).default(d.trigger))
    .option('--expire-in <duration>', 'pexpire/ttl triggers: time until the key expires', `${d.expireInMs}ms`)
    .option('--spread <duration>', 'spread the clients uniformly over this window after the release (default 0; pexpire/ttl: 2x --expire-in)')
    .option('--ttl <duration>', 'TTL of the value the clients write back', `${d.ttlMs / 1000}s`)
    .option('--db-delay <duration>', 'make every recompute this much slower (pg_sleep inside the fetch)', '0ms')
    .option('--beta <n>', 'xfetch / early-simple aggressiveness', String(d.beta))
    .option('--lock-ttl <duration>', 'lock: TTL of lock:<key>', `${d.lockTtlMs}ms`)
    .option('--lock-wait <duration>', 'lock: how long the others wait for the holder before the fallback', `${d.lockWaitMs}ms`)
    .addOption(new Option('--on-lock-timeout <what>', 'lock: serve the <key>:stale copy or fail').choices(['stale', 'fail']).default(d.onLockTimeout))
    .option('--stale-window <duration>', 'swr: how long past expiry the stale copy may be served', `${d.staleWindowMs / 1000}s`)
    .option('--pg-pool <n>', 'PostgreSQL connections per process', String(d.pgPool))
    .option('--seed <n>', 'seed of the schedule and the random draws (same for every strategy)', String(d.seed))
    .option('--max-time <duration>', 'stop the drill after this long with a partial report', `${d.maxTimeMs / 1000}s`)
    .option('--url <url>', 'drill a running application: invalidate --invalidate, then release --clients GET requests at this URL together')
    .option('--invalidate <key>', 'with --url: the key to delete (on its owning node) before each herd')
    .option('--yes', 'with --url: allow a host that is not this machine')
    .option('--http-timeout <duration>', 'with --url: per-request timeout', '10s')
    .option('--json', 'print the full result as JSON')
    .option('--assert <thresholds>', "exit 1 when one fails, e.g. 'amplification<=1.5,p99<250ms,errors==0'");
  addRedisOptions(cmd);
  addPgOptions(cmd);
  cmd.action(async (flags: HerdFlags, self: Command) => {
    const thresholds = flags.assert !== undefined ? parseAssertions(flags.assert) : [];
    if (flags.url !== undefined) return httpDrill(flags, thresholds, ctx);
    if (flags.invalidate !== undefined) throw new UsageError('--invalidate goes with --url (drilling a running application); for a cache-aside drill use --key');
    if (flags.key !== undefined && flags.keys !== undefined) throw new UsageError('choose one of --key and --keys');
    if (!flags.key && flags.keys === undefined) throw new UsageError('--key: name the hot key to drill, e.g. --key product:42 (or --keys FILE)');
    if (flags.expireTogether && flags.ttlJitter !== undefined) throw new UsageError('--expire-together and --ttl-jitter contradict each other: jitter is what keeps keys from expiring together');
    const rate = flags.rate !== undefined ? parseRate(flags.rate) : undefined;
    if (rate !== undefined && self.getOptionValueSource('trigger') === 'cli') throw new UsageError('--trigger: an open-loop drill (--rate) lets the keys expire naturally; drop --trigger or --rate');
    const ttlJitter = flags.ttlJitter !== undefined ? parseFraction(flags.ttlJitter, '--ttl-jitter') : 0;
    if (ttlJitter > 0 && rate === undefined && flags.trigger === 'delete') throw new UsageError('--ttl-jitter: a deleted key has no TTL to jitter; use --trigger ttl or pexpire, or --rate');
    const durationMs = parseDuration(flags.duration, '--duration');
    if (rate !== undefined && (rate * durationMs) / 1000 > d.maxOpenLoopRequests) throw new UsageError(`--rate x --duration: above the drill's bound of ${d.maxOpenLoopRequests} requests`);
    if (flags.fetch === undefined) throw new UsageError("--fetch: give the query that loads the key, e.g. --fetch 'SELECT * FROM products WHERE id = $1'");
    const fetchSql = validateFetchSql(flags.fetch);
    const clients = bounded(parsePositiveInt(flags.clients, '--clients'), d.maxClients, '--clients');
    const processes = bounded(parsePositiveInt(flags.processes, '--processes'), d.maxProcesses, '--processes');
    const rounds = bounded(parsePositiveInt(flags.rounds, '--rounds'), d.maxRounds, '--rounds');
    const expireInMs = parseDuration(flags.expireIn, '--expire-in');
    const spreadMs = flags.spread !== undefined ? parseDuration(flags.spread, '--spread') : flags.trigger === 'delete' ? 0 : 2 * expireInMs;
    const keys = flags.keys !== undefined ? await readDrillKeys(flags.keys, ctx.io) : [flags.key as string];
    const result = await runDrill(
      {
        target: redisTargetFrom(flags, ctx.io),
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
        dbDelayMs: parseDuration(flags.dbDelay, '--db-delay'),
        pgPoolSize: parsePositiveInt(flags.pgPool, '--pg-pool'),
        seed: parsePositiveInt(flags.seed, '--seed', { allowZero: true }),
        maxTimeMs: parseDuration(flags.maxTime, '--max-time'),
        settings: strategySettingsFrom(flags, ttlJitter),
        signal: ctx.io.signal,
      },
      drillProgress(ctx.io.stderr),
    );
    const breaches = checkAssertions(thresholds, result.reports);
    if (flags.json) reportDrillJson(ctx.io.stdout, result, breaches);
    else reportDrillText(ctx.io.stdout, result, ctx.color);
    reportWarnings(ctx.io.stderr, result.reports);
    reportBreaches(ctx.io.stderr, breaches);
    if (result.interrupted && ctx.io.signal.aborted) ctx.exitCode = ctx.io.signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
    else if (breaches.length > 0) ctx.exitCode = ExitCode.incomplete;
  });
  registerHerdSimulate(cmd, ctx);
  return cmd;
}
