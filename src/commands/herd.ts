/**
 * `cachectl herd`: fire a thundering herd at one key and measure, per stampede defence, how many
 * queries reached PostgreSQL (counted by PostgreSQL), how slow the readers were, and what they got.
 * Flags only: the drill (herd-action.ts) is imported when it runs, so --help does not load it.
 */
import { Option, type Command } from 'commander';
import type { CommandContext } from './context.js';
import { addPgOptions, addRedisOptions } from './connection-flags.js';
import type { ConnectionFlags } from '../config/target.js';
import { DEFAULTS } from '../config/defaults.js';
import { formatDurationFlag as dur } from '../config/duration.js';
import { STRATEGY_NAMES, type OnLockTimeout } from '../core/herd/types.js';
import type { Trigger } from '../core/herd/drill-types.js';
import { registerHerdSimulate } from './herd-simulate.js';

export interface HerdFlags extends ConnectionFlags {
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
  outage: string;
  outageMode: 'pause' | 'refuse';
  redisTimeout: string;
  breakerThreshold: string;
  breakerTimeout: string;
  writes?: string;
  update?: string;
  versionColumn: string;
  l1?: string;
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
  report?: string;
  hdrOut?: string;
  assert?: string;
  url?: string;
  invalidate?: string;
  yes?: boolean;
  httpTimeout: string;
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
    .addOption(
      new Option('--trigger <how>', "how the key expires: delete it, a short PEXPIRE, its natural TTL, or the key's node becomes unavailable (outage)")
        .choices(['delete', 'pexpire', 'ttl', 'outage'])
        .default(d.trigger),
    )
    .option('--outage <duration>', 'trigger outage: how long the node is unavailable', '5s')
    .addOption(
      new Option(
        '--outage-mode <how>',
        "trigger outage: CLIENT PAUSE the node (it stops answering), or refuse the drill's connections (a local relay in front of it)",
      )
        .choices(['pause', 'refuse'])
        .default('pause'),
    )
    .option('--redis-timeout <duration>', "every client's Redis command timeout, as an application sets one", dur(d.redisTimeoutMs))
    .option('--breaker-threshold <n>', 'breaker: consecutive cache failures that open it', String(d.breakerThreshold))
    .option('--breaker-timeout <duration>', 'breaker: how long it stays open before one trial request (half-open)', dur(d.breakerTimeoutMs))
    .option('--writes <rate>', "the invalidation race: update the key's row this many times per second during each round")
    .option('--update <sql>', "with --writes: the statement that updates the row and bumps its version, $1 the key's id (default: a scratch table)")
    .option('--version-column <name>', "with --writes: the fetch's column holding the row's version", 'version')
    .option('--l1 <size:ttl>', 'a local tier in every process in front of Redis: an LRU of SIZE entries living TTL each, e.g. 1000:2s')
    .option('--expire-in <duration>', 'pexpire/ttl triggers: time until the key expires', dur(d.expireInMs))
    .option('--spread <duration>', 'spread the clients uniformly over this window after the release (default 0; pexpire/ttl: 2x --expire-in)')
    .option('--ttl <duration>', 'TTL of the value the clients write back', dur(d.ttlMs))
    .option('--db-delay <duration>', 'make every recompute this much slower (pg_sleep inside the fetch)', '0ms')
    .option('--beta <n>', 'xfetch / early-simple aggressiveness', String(d.beta))
    .option('--lock-ttl <duration>', 'lock: TTL of lock:<key>', dur(d.lockTtlMs))
    .option('--lock-wait <duration>', 'lock: how long the others wait for the holder before the fallback', dur(d.lockWaitMs))
    .addOption(new Option('--on-lock-timeout <what>', 'lock: serve the <key>:stale copy or fail').choices(['stale', 'fail']).default(d.onLockTimeout))
    .option('--stale-window <duration>', 'swr: how long past expiry the stale copy may be served', dur(d.staleWindowMs))
    .option('--pg-pool <n>', 'PostgreSQL connections per process', String(d.pgPool))
    .option('--seed <n>', 'seed of the schedule and the random draws (same for every strategy)', String(d.seed))
    .option('--max-time <duration>', 'stop the drill after this long with a partial report', dur(d.maxTimeMs))
    .option('--url <url>', 'drill a running application: invalidate --invalidate, then release --clients GET requests at this URL together')
    .option('--invalidate <key|how>', "with --url: the key to delete before each herd; with --writes: the application's invalidation, delete or set")
    .option('--yes', 'with --url: allow a host that is not this machine; with --trigger outage: pause a node other clients use')
    .option('--http-timeout <duration>', 'with --url: per-request timeout', '10s')
    .option('--json', 'print the full result as JSON')
    .option('--report <file.html>', 'also write a self-contained HTML page with charts: latency per strategy, origin queries over time')
    .option('--hdr-out <dir>', 'also write HdrHistogram logs there, <strategy>.hlog and <strategy>.hgrm, for HdrHistogram plotters')
    .option('--assert <thresholds>', "exit 1 when one fails, e.g. 'amplification<=1.5,p99<250ms,errors==0'");
  addRedisOptions(cmd);
  addPgOptions(cmd);
  cmd.action(async (flags: HerdFlags, self: Command) => {
    const { runHerdCommand } = await import('./herd-action.js');
    await runHerdCommand(flags, self, ctx);
  });
  registerHerdSimulate(cmd, ctx);
  return cmd;
}
