/** What `cachectl herd simulate` runs, imported by herd-simulate.ts only when it runs. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { DEFAULTS, DURATION_RANGES as R } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import { ExitCode, UsageError } from '../errors.js';
import { simulate } from '../core/herd/sim/simulate.js';
import { checkAssertions, parseAssertions } from '../core/herd/assert.js';
import { parseL1, parseRate, parseStrategies, parseWrites, strategySettingsFrom } from './herd-parse.js';
import { renderBreaches, renderSimulationText, simulationJson } from '../reporters/herd.js';
import { outputFor } from '../reporters/output.js';
import type { SimulateFlags } from './herd-simulate.js';
import { readMeasured } from '../adapters/files/drill-result-file.js';

export async function runSimulateCommand(own: SimulateFlags, self: Command, ctx: CommandContext): Promise<void> {
  const d = DEFAULTS.herd;
  const flags = withParentFlags(own, self);
  const thresholds = flags.assert !== undefined ? parseAssertions(flags.assert) : [];
  const rate = flags.rate !== undefined ? parseRate(flags.rate) : undefined;
  const expireInMs = parseDuration(flags.expireIn, '--expire-in', R.expireIn);
  const durationMs = parseDuration(flags.duration, '--duration', R.duration);
  if (rate !== undefined && (rate * durationMs) / 1000 > 1_000_000)
    throw new UsageError("--rate x --duration: above the simulator's bound of 1,000,000 requests");
  if (flags.outage !== undefined && rate === undefined)
    throw new UsageError('--outage: simulate an outage under a read rate, add --rate (e.g. --rate 100 --duration 6s)');
  const outage =
    flags.outage !== undefined
      ? {
          leadMs: d.outageLeadMs,
          durationMs: parseDuration(flags.outage, '--outage', R.outage),
          redisTimeoutMs: parseDuration(flags.redisTimeout, '--redis-timeout', R.redisTimeout),
        }
      : undefined;
  if (outage && d.outageLeadMs + outage.durationMs >= durationMs)
    throw new UsageError('--duration: the simulation must go on after the outage ends (it starts 1s in)');
  if (flags.writes !== undefined && rate !== undefined) throw new UsageError('--writes: the race is simulated in herd mode; drop --rate');
  const writesPerSec = flags.writes !== undefined ? parseWrites(flags.writes) : undefined;
  const measured = flags.measured !== undefined ? readMeasured(resolve(ctx.io.cwd, flags.measured)) : undefined;
  const result = await simulate({
    strategies: parseStrategies(flags.strategy),
    mode: rate !== undefined ? 'open' : 'herd',
    clients: Math.min(parsePositiveInt(flags.clients, '--clients'), d.maxClients),
    processes: Math.min(parsePositiveInt(flags.processes, '--processes'), d.maxProcesses),
    rounds: Math.min(parsePositiveInt(flags.rounds, '--rounds'), d.maxRounds),
    trigger: flags.trigger,
    expireInMs,
    spreadMs: flags.spread !== undefined ? parseDuration(flags.spread, '--spread', R.spread) : flags.trigger === 'delete' ? 0 : 2 * expireInMs,
    ratePerSec: rate ?? 0,
    durationMs,
    recomputeMs: parseDuration(flags.recompute, '--recompute', R.recompute),
    rttMs: parseDuration(flags.rtt, '--rtt', R.rtt),
    seed: parsePositiveInt(flags.seed, '--seed', { allowZero: true }),
    maxRequests: 1_000_000,
    settings: strategySettingsFrom(flags, 0),
    ...(flags.l1 !== undefined ? { l1: parseL1(flags.l1) } : {}),
    ...(outage ? { outage } : {}),
    ...(writesPerSec !== undefined ? { writesPerSec } : {}),
  });
  const breaches = checkAssertions(
    thresholds,
    result.map((r) => r.report),
  );
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  if (out.json) out.document(simulationJson(result, measured, breaches));
  else out.result(renderSimulationText(result, measured, rate !== undefined ? 'open' : 'herd', out.width));
  out.diagnostic(renderBreaches(breaches));
  if (breaches.length > 0) ctx.exitCode = ExitCode.incomplete;
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
