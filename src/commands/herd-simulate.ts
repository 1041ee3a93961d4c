/**
 * `cachectl herd simulate`: the drill's strategy code on a simulated clock with no servers,
 * printing the model's predicted amplification next to the simulated one (and a live drill's,
 * given its --json output). Flags only: the simulator is imported when it runs.
 */
import { Option, type Command } from 'commander';
import type { CommandContext } from './context.js';
import { DEFAULTS } from '../config/defaults.js';
import { formatDurationFlag as dur } from '../config/duration.js';
import type { OnLockTimeout } from '../core/herd/types.js';

export interface SimulateFlags {
  strategy: string;
  clients: string;
  processes: string;
  rounds: string;
  trigger: 'delete' | 'pexpire' | 'ttl';
  expireIn: string;
  spread?: string;
  rate?: string;
  duration: string;
  ttl: string;
  recompute: string;
  rtt: string;
  beta: string;
  lockTtl: string;
  lockWait: string;
  onLockTimeout: OnLockTimeout;
  staleWindow: string;
  breakerThreshold: string;
  breakerTimeout: string;
  l1?: string;
  outage?: string;
  redisTimeout: string;
  writes?: string;
  seed: string;
  measured?: string;
  json?: boolean;
  assert?: string;
}

export function registerHerdSimulate(herd: Command, ctx: CommandContext): Command {
  const d = DEFAULTS.herd;
  return herd
    .command('simulate')
    .description('Run the strategies on a simulated clock with no servers and print the predicted amplification')
    .option('--strategy <names>', 'comma list of strategies, or all', 'all')
    .option('--clients <n>', 'herd mode: clients per process', String(d.clients))
    .option('--processes <n>', 'application instances (coalesce dedups per instance)', String(d.processes))
    .option('--rounds <n>', 'herd mode: expiries per strategy', String(d.rounds))
    .addOption(new Option('--trigger <how>', 'herd mode: how the key expires').choices(['delete', 'pexpire', 'ttl']).default(d.trigger))
    .option('--expire-in <duration>', 'pexpire/ttl triggers: time until the key expires', dur(d.expireInMs))
    .option('--spread <duration>', 'herd mode: spread the clients over this window (default 0; pexpire/ttl: 2x --expire-in)')
    .option('--rate <req/s>', 'open-loop mode: Poisson arrivals at this rate across natural expiries')
    .option('--duration <duration>', 'open-loop mode: how long to simulate', '60s')
    .option('--ttl <duration>', 'TTL of the value (open loop: the expiry period)', '10s')
    .option('--recompute <duration>', 'how long one origin query takes', '100ms')
    .option('--rtt <duration>', 'round trip of one cache command', '0.5ms')
    .option('--beta <n>', 'xfetch / early-simple aggressiveness', String(d.beta))
    .option('--lock-ttl <duration>', 'lock: TTL of lock:<key>', dur(d.lockTtlMs))
    .option('--lock-wait <duration>', 'lock: how long the others wait', dur(d.lockWaitMs))
    .addOption(new Option('--on-lock-timeout <what>', 'lock: serve stale or fail').choices(['stale', 'fail']).default(d.onLockTimeout))
    .option('--stale-window <duration>', 'swr: how long past expiry the stale copy may be served', dur(d.staleWindowMs))
    .option('--breaker-threshold <n>', 'breaker: consecutive cache failures that open it', String(d.breakerThreshold))
    .option('--breaker-timeout <duration>', 'breaker: how long it stays open before one trial request', dur(d.breakerTimeoutMs))
    .option('--l1 <size:ttl>', 'a local LRU tier per process, e.g. 1000:2s')
    .option('--outage <duration>', 'open-loop mode: the cache is paused this long, 1s after the start')
    .option('--redis-timeout <duration>', 'with --outage: the cache command timeout', dur(d.redisTimeoutMs))
    .option('--writes <rate>', 'herd mode: row updates per second during each round, each followed by a delete of the key')
    .option('--seed <n>', 'seed of the schedule and the draws', String(d.seed))
    .option('--measured <file>', "a live drill's --json output, shown next to the prediction")
    .option('--json', 'print the full result as JSON')
    .option('--assert <thresholds>', 'exit 1 when one fails, as for the drill')
    .action(async (own: SimulateFlags, self: Command) => {
      const { runSimulateCommand } = await import('./herd-simulate-action.js');
      await runSimulateCommand(own, self, ctx);
    });
}
