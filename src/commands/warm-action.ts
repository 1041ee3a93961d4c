/** What `cachectl warm` runs, imported by warm.ts only when the command runs. */
import { ExitCode, redact, signalExitCode } from '../errors.js';
import { summaryComplete } from '../core/warm/summary.js';
import type { CommandContext } from './context.js';
import { announcer, pgUrlFrom, redisTargetFrom } from './options.js';
import type { WarmFlags } from './warm-flags.js';
import { planFromFlags } from './warm-plan.js';
import { executeWarm } from './warm-run.js';
import { describeTarget, type ConnectionFlags } from '../config/target.js';
import type { OperationsFlags } from './operations-flags.js';
import { prepareWarmOperations } from './warm-operations.js';

export async function runWarmCommand(files: string[], flags: WarmFlags & ConnectionFlags & OperationsFlags, ctx: CommandContext): Promise<void> {
  const plan = planFromFlags(files, flags, ctx.io);
  // Lock, deadline, checkpoint, shard, metrics and JSON logs (issue 6) plug in through hooks.
  const target = redisTargetFrom(flags, ctx.io);
  const ops = prepareWarmOperations(plan, flags, files, ctx.io, (s) => exitCodeOf(s, ctx.io.signal), redact(describeTarget(target)));
  // --log-format json owns stderr: no text line there.
  const announce = flags.logFormat === 'json' ? undefined : announcer(flags, ctx.io, target, true);
  let summary;
  try {
    summary = await executeWarm(plan, { io: ctx.io, color: ctx.color, target, pgUrl: pgUrlFrom(flags, ctx.io), ...(announce ? { announce } : {}) }, ops.hooks);
  } catch (error) {
    await ops.failed(error);
    throw error;
  }
  ctx.exitCode = exitCodeOf(summary, ctx.io.signal);
}

export function exitCodeOf(summary: Parameters<typeof summaryComplete>[0], signal: AbortSignal): number {
  if (summary.stopped?.reason === 'signal') return signalExitCode(signal);
  return summaryComplete(summary) ? ExitCode.ok : ExitCode.incomplete;
}
