/**
 * `cachectl herd simulate`: the drill's strategy code on a simulated clock with no servers,
 * printing the model's predicted amplification next to the simulated one (and a live drill's,
 * given its --json output).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { CommandContext } from './context.js';
import { DEFAULTS } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import { ExitCode, InputError, UsageError } from '../errors.js';
import { simulate } from '../core/herd/sim/simulate.js';
import { checkAssertions, parseAssertions } from '../core/herd/assert.js';
import type { OnLockTimeout } from '../core/herd/types.js';
import { parseRate, parseStrategies, strategySettingsFrom } from './herd.js';
import { reportBreaches, reportSimulationJson, reportSimulationText } from '../reporters/herd.js';

interface SimulateFlags {
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
    .option('--expire-in <duration>', 'pexpire/ttl triggers: time until the key expires', `${d.expireInMs}ms`)
    .option('--spread <duration>', 'herd mode: spread the clients over this window (default 0; pexpire/ttl: 2x --expire-in)')
    .option('--rate <req/s>', 'open-loop mode: Poisson arrivals at this rate across natural expiries')
    .option('--duration <duration>', 'open-loop mode: how long to simulate', '60s')
    .option('--ttl <duration>', 'TTL of the value (open loop: the expiry period)', '10s')
    .option('--recompute <duration>', 'how long one origin query takes', '100ms')
    .option('--rtt <duration>', 'round trip of one cache command', '0.5ms')
    .option('--beta <n>', 'xfetch / early-simple aggressiveness', String(d.beta))
    .option('--lock-ttl <duration>', 'lock: TTL of lock:<key>', `${d.lockTtlMs}ms`)
    .option('--lock-wait <duration>', 'lock: how long the others wait', `${d.lockWaitMs}ms`)
    .addOption(new Option('--on-lock-timeout <what>', 'lock: serve stale or fail').choices(['stale', 'fail']).default(d.onLockTimeout))
    .option('--stale-window <duration>', 'swr: how long past expiry the stale copy may be served', `${d.staleWindowMs / 1000}s`)
    .option('--seed <n>', 'seed of the schedule and the draws', String(d.seed))
    .option('--measured <file>', "a live drill's --json output, shown next to the prediction")
    .option('--json', 'print the full result as JSON')
    .option('--assert <thresholds>', 'exit 1 when one fails, as for the drill')
    .action(async (own: SimulateFlags, self: Command) => {
      const flags = withParentFlags(own, self);
      const thresholds = flags.assert !== undefined ? parseAssertions(flags.assert) : [];
      const rate = flags.rate !== undefined ? parseRate(flags.rate) : undefined;
      const expireInMs = parseDuration(flags.expireIn, '--expire-in');
      const durationMs = parseDuration(flags.duration, '--duration');
      if (rate !== undefined && (rate * durationMs) / 1000 > 1_000_000) throw new UsageError('--rate x --duration: above the simulator\'s bound of 1,000,000 requests');
      const measured = flags.measured !== undefined ? readMeasured(resolve(ctx.io.cwd, flags.measured)) : undefined;
      const result = await simulate({
        strategies: parseStrategies(flags.strategy),
        mode: rate !== undefined ? 'open' : 'herd',
        clients: Math.min(parsePositiveInt(flags.clients, '--clients'), d.maxClients),
        processes: Math.min(parsePositiveInt(flags.processes, '--processes'), d.maxProcesses),
        rounds: Math.min(parsePositiveInt(flags.rounds, '--rounds'), d.maxRounds),
        trigger: flags.trigger,
        expireInMs,
        spreadMs: flags.spread !== undefined ? parseDuration(flags.spread, '--spread') : flags.trigger === 'delete' ? 0 : 2 * expireInMs,
        ratePerSec: rate ?? 0,
        durationMs,
        recomputeMs: parseDuration(flags.recompute, '--recompute'),
        rttMs: parseDuration(flags.rtt, '--rtt'),
        seed: parsePositiveInt(flags.seed, '--seed', { allowZero: true }),
        maxRequests: 1_000_000,
        settings: strategySettingsFrom(flags, 0),
      });
      const breaches = checkAssertions(thresholds, result.map((r) => r.report));
      if (flags.json) reportSimulationJson(ctx.io.stdout, result, measured, breaches);
      else reportSimulationText(ctx.io.stdout, result, measured, rate !== undefined ? 'open' : 'herd');
      reportBreaches(ctx.io.stderr, breaches);
      if (breaches.length > 0) ctx.exitCode = ExitCode.incomplete;
    });
}

/**
 * `herd` and `herd simulate` share flag names, and commander gives a flag to the parent when
 * both know it. Take back what the operator typed (source 'cli') into the subcommand's flags;
 * a drill-only flag is a usage error rather than silently ignored.
 */
function withParentFlags(own: SimulateFlags, self: Command): SimulateFlags {
  const parent = self.parent;
  if (!parent) return own;
  const out: Record<string, unknown> = { ...own };
  const mine = new Set(self.options.map((o) => o.attributeName()));
  for (const option of parent.options) {
    const name = option.attributeName();
    if (parent.getOptionValueSource(name) !== 'cli') continue;
    if (!mine.has(name)) throw new UsageError(`herd simulate: ${option.long ?? name} is a drill option (simulate uses no servers; see herd simulate --help)`);
    if (self.getOptionValueSource(name) !== 'cli') out[name] = parent.getOptionValue(name);
  }
  return out as unknown as SimulateFlags;
}

/** Amplification per strategy from a drill's --json output. */
function readMeasured(path: string): Map<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read a drill result (${error instanceof Error ? error.message : String(error)}); give the output of cachectl herd --json`, { file: path });
  }
  const reports = (parsed as { reports?: unknown }).reports;
  if (!Array.isArray(reports)) throw new InputError('no "reports" array: give the output of cachectl herd --json', { file: path });
  const out = new Map<string, number>();
  for (const r of reports as { strategy?: unknown; amplification?: unknown }[]) {
    if (typeof r.strategy === 'string' && typeof r.amplification === 'number') out.set(r.strategy, r.amplification);
  }
  return out;
}
