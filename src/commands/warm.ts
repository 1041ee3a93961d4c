/**
 * `cachectl warm`: flags -> WarmPlan -> executeWarm -> exit code.
 * 0 all written; 1 finished but something was not written (or verify found a problem, or the
 * run stopped early); 2 bad usage or warmlist; 3 cannot connect; 130/143 interrupted.
 */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { summaryComplete } from '../core/warm/summary.js';
import type { CommandContext } from './context.js';
import { addPgOptions, addRedisOptions, pgUrlFrom, redisTargetFrom } from './options.js';
import { addWarmOptions, planFromFlags, type WarmFlags } from './warm-flags.js';
import { executeWarm } from './warm-run.js';
import type { ConnectionFlags } from '../config/target.js';
import { addOperationsOptions, type OperationsFlags } from './operations.js';
import { prepareWarmOperations } from './warm-operations.js';

export function registerWarm(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('warm')
    .description('Warm Redis from PostgreSQL (key lists, SQL queries, warmlists), each key to the node that owns it');
  addWarmOptions(cmd);
  addRedisOptions(cmd);
  addPgOptions(cmd);
  addOperationsOptions(cmd);
  cmd.action(async (files: string[], flags: WarmFlags & ConnectionFlags & OperationsFlags) => {
    const plan = planFromFlags(files, flags, ctx.io);
    // Lock, deadline, checkpoint, shard, metrics and JSON logs (issue 6) plug in through hooks.
    const ops = prepareWarmOperations(plan, flags, files, ctx.io, (s) => exitCodeOf(s, ctx.io.signal));
    const target = redisTargetFrom(flags, ctx.io);
    let summary;
    try {
      summary = await executeWarm(plan, { io: ctx.io, color: ctx.color, target, pgUrl: pgUrlFrom(flags, ctx.io) }, ops.hooks);
    } catch (error) {
      await ops.failed(error);
      throw error;
    }
    ctx.exitCode = exitCodeOf(summary, ctx.io.signal);
  });
  return cmd;
}

export function exitCodeOf(summary: Parameters<typeof summaryComplete>[0], signal: AbortSignal): number {
  if (summary.stopped?.reason === 'signal') return signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return summaryComplete(summary) ? ExitCode.ok : ExitCode.incomplete;
}
