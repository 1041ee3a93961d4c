/** What `cachectl warm` runs, imported by warm.ts only when the command runs. */
import { CachectlError, ExitCode, redact } from '../errors.js';
import { runOutcome, warmExitCode } from '../core/run/outcome.js';
import { controlWarm, parseRunControl } from '../core/run/plan.js';
import { JsonLogReporter, logFailure, runWarnings } from '../reporters/json-log.js';
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
  const log = control.logFormat === 'json' ? new JsonLogReporter(io.stderr) : undefined;
  const warnings = runWarnings(io.stderr, log);
  for (const note of plan.notes) warnings.note(note);
  const run = {
    io,
    color: ctx.color,
    target,
    pgUrl: pgUrlFrom(flags, io),
    control,
    warnings,
    topology: redact(describeTarget(target)),
    ...(log ? { log } : { announce: announcer(flags, io, target, true) }),
  };
  let summary;
  try {
    summary = await executeWarm(plan, run);
  } catch (error) {
    const exitCode = error instanceof CachectlError ? error.exitCode : ExitCode.internal;
    if (log) logFailure(log, exitCode, error);
    // A run that could not run still reports (exit 3 is worth a series), unless its flags were bad.
    if (exitCode !== ExitCode.usage && !plan.options.dryRun) await writeRunMetrics(control, topologyKind(target), runOutcome(control, undefined, exitCode, Date.now() - started), warnings.warn);
    throw error;
  }
  ctx.exitCode = warmExitCode(summary, io.signal);
  if (!plan.options.dryRun) await writeRunMetrics(control, topologyKind(target), runOutcome(control, summary, ctx.exitCode, Date.now() - started), warnings.warn);
}
