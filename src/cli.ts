/**
 * Builds the commander program and maps every failure to one line and an exit code.
 * `run(argv, io)` never calls process.exit, so tests drive the CLI in-process.
 */
import { Command, CommanderError } from 'commander';
import { CachectlError, ExitCode, redact, shorten, signalExitCode, type StopSignal } from './errors.js';
import { ClosableStdout, type IO } from './io.js';
import { registerRing } from './commands/ring.js';
import { registerWarm } from './commands/warm.js';
import { registerInspect } from './commands/inspect.js';
import { registerHerd } from './commands/herd.js';
import { registerSandbox } from './commands/sandbox.js';
import type { CommandContext } from './commands/context.js';
import { refusePsqlHabits, translateRedisCliHabits } from './commands/connection-flags.js';
import { commandWord } from './config/argv.js';
import { registerCompletion } from './commands/completion.js';
import { applyHelp } from './commands/help.js';
import { packageVersion } from './adapters/files/package-files.js';

export async function run(argv: readonly string[], io: IO = processIO()): Promise<number> {
  const ctx: CommandContext = { io, exitCode: ExitCode.ok, verbose: false };
  const args = translateRedisCliHabits(argv);
  const program = buildProgram(ctx, commandWord(args));
  try {
    await program.parseAsync(args);
    // Stopped because the reader went away, not by a signal: the command's own verdict stands otherwise.
    const stoppedByAbort = ctx.exitCode === ExitCode.interrupted || ctx.exitCode === ExitCode.terminated;
    return stdoutClosed(io) && stoppedByAbort ? ExitCode.ok : ctx.exitCode;
  } catch (error) {
    // A closed stdout ends the command like SIGPIPE ends `seq | head`: no message, no stack.
    if (stdoutClosed(io)) return ExitCode.ok;
    return reportError(error, ctx);
  }
}

const COMMANDS = {
  warm: registerWarm,
  inspect: registerInspect,
  herd: registerHerd,
  ring: registerRing,
  sandbox: registerSandbox,
  completion: registerCompletion,
};

/**
 * `only`: the command the arguments name. Just that one is registered (building every command's
 * flags cost about 15 ms of CPU per run, inspect's most); top-level help, `help <command>`,
 * `completion` and an unknown word (commander's "did you mean") get them all.
 */
export function buildProgram(ctx: CommandContext, only?: string): Command {
  const program = new Command('cachectl')
    .description('Warm, inspect and drill a sharded Redis in front of PostgreSQL.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'print stack traces and debug detail (also DEBUG=cachectl)')
    .option('--no-color', 'never colour output (also NO_COLOR)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(shorten(s)),
    })
    .hook('preAction', (thisCommand, actionCommand) => {
      const opts = thisCommand.optsWithGlobals<{ verbose?: boolean; color?: boolean }>();
      ctx.verbose = Boolean(opts.verbose) || /\bcachectl\b|\*/.test(ctx.io.env.DEBUG ?? '');
      ctx.color = opts.color !== false && ctx.io.env.NO_COLOR === undefined;
      refusePsqlHabits(actionCommand.opts());
    });
  // `completion` describes every command, so it needs them all.
  const named = only !== undefined && only !== 'completion' && Object.hasOwn(COMMANDS, only) ? COMMANDS[only as keyof typeof COMMANDS] : undefined;
  for (const register of named ? [named] : Object.values(COMMANDS)) {
    const sub = register(program, ctx);
    sub.exitOverride().configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(shorten(s)),
    });
    for (const nested of sub.commands)
      nested.exitOverride().configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(shorten(s)) });
  }
  applyHelp(program);
  return program;
}

/** The abort reason when the reader of stdout went away. */
export const STDOUT_CLOSED = 'stdout-closed';

function stdoutClosed(io: IO): boolean {
  return io.signal.aborted && io.signal.reason === STDOUT_CLOSED;
}

function reportError(error: unknown, ctx: CommandContext): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander with exit code 0; usage errors are already printed.
    if (error.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage;
  }
  if (error instanceof CachectlError) {
    ctx.io.stderr.write(`cachectl: ${shorten(redact(error.message))}\n`);
    if (ctx.verbose && error.stack) ctx.io.stderr.write(redact(error.stack) + '\n');
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.io.stderr.write(`cachectl: unexpected error: ${shorten(redact(message))} (run with --verbose for the stack trace)\n`);
  if (ctx.verbose && error instanceof Error && error.stack) ctx.io.stderr.write(redact(error.stack) + '\n');
  return ExitCode.internal;
}

/** The real process, with SIGINT/SIGTERM turned into an abort signal (a second signal exits at once). */
export function processIO(): IO {
  const controller = new AbortController();
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    controller.abort(signal);
  };
  process.once('SIGINT', () => {
    onSignal('SIGINT');
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  process.once('SIGTERM', () => {
    onSignal('SIGTERM');
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  const stdout = new ClosableStdout(process.stdout, (error) => {
    // The reader is gone (`| head`): stop quietly. Any other write failure is said once.
    if (error.code !== 'EPIPE') process.stderr.write(`cachectl: cannot write to stdout (${error.code ?? error.message}); stopping\n`);
    controller.abort(STDOUT_CLOSED);
  });
  return {
    stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
}
