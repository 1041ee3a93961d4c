/** What `cachectl warm` runs, imported by warm.ts only when the command runs. */
import { CachectlError, ExitCode, redact } from '../errors.js';
import { runOutcome, warmExitCode } from '../core/run/outcome.js';
import { controlWarm, parseRunControl } from '../core/run/plan.js';
import { logFailure } from '../reporters/json-log.js';
import { outputFor } from '../reporters/output.js';
import type { CommandContext } from './context.js';
import { announcer, pgUrlFrom, redisTargetFrom } from './options.js';
import type { WarmFlags } from './warm-flags.js';
import { planFromFlags } from './warm-plan.js';
import { executeWarm } from './warm-run.js';
import { topologyKind, writeRunMetrics } from './warm-control.js';
import { describeTarget, type ConnectionFlags } from '../config/target.js';
import type { OperationsFlags } from './operations-flags.js';

export async function runWarmCommand(files: string[], flags: WarmFlags & ConnectionFlags & OperationsFlags, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  const started = Date.now();
  const plan = planFromFlags(files, flags, io);
  const target = redisTargetFrom(flags, io);
  const control = controlWarm(parseRunControl(flags, io, started), plan.options.entries, files);
  // One Output for the whole run: the summary, warnings and notes, plain or as JSON lines.
  const out = outputFor(io, { json: plan.json, logFormat: control.logFormat, color: ctx.color });
  const log = out.log;
  for (const note of plan.notes) out.note(note);
  const run = {
    io,
    out,
    target,
    pgUrl: pgUrlFrom(flags, io),
    control,
    topology: redact(describeTarget(target)),
    ...(log ? { log } : { announce: announcer(flags, io, target, true) }),
  };
  let summary;
  let exitCode: number;
  let failure: { error: unknown } | undefined;
  try {
    summary = await executeWarm(plan, run);
    exitCode = warmExitCode(summary, io.signal);
  } catch (error) {
    failure = { error };
    exitCode = error instanceof CachectlError ? error.exitCode : ExitCode.internal;
    if (log) logFailure(log, exitCode, error);
  }
  // The metrics file, once: a run that could not run still reports (exit 3 is worth a series),
  // unless its flags were bad; a dry run writes nothing.
  if (exitCode !== ExitCode.usage && !plan.options.dryRun)
    await writeRunMetrics(control, topologyKind(target), runOutcome(control, summary, exitCode, Date.now() - started), (message: string) => out.warn(message));
  if (failure) throw failure.error;
  ctx.exitCode = exitCode;
}
