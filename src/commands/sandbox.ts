import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addPgOptions, pgUrlFrom } from './options.js';
import { DEFAULTS } from '../config/defaults.js';
import { ConnectionError, ExitCode, UsageError } from '../errors.js';
import { sandboxDown, sandboxHealth, sandboxUp } from '../adapters/sandbox/sandbox.js';
import { readState, resolveSandboxDir } from '../adapters/sandbox/state.js';
import { reportDown, reportEnv, reportStatus, reportUp, sandboxProgress } from '../reporters/sandbox.js';

interface SandboxFlags {
  dir?: string;
  json?: boolean;
}

interface UpFlags extends SandboxFlags {
  pg?: string;
  database: string;
  products: string;
  users: string;
}

/** `cachectl sandbox up|status|down|env`: a local cluster, ring, twemproxy and seeded PostgreSQL. */
export function registerSandbox(program: Command, ctx: CommandContext): Command {
  const sandbox = program
    .command('sandbox')
    .description('Start, check or stop a local Redis Cluster, ring nodes, twemproxy and a demo PostgreSQL');
  const dirOption = ['--dir <path>', `where the sandbox keeps its state, logs and data (default: CACHECTL_SANDBOX_DIR, else ${DEFAULTS.sandbox.dir})`] as const;
  const dirOf = (flags: SandboxFlags) => resolveSandboxDir(flags.dir, ctx.io.env, ctx.io.cwd);

  addPgOptions(
    sandbox
      .command('up')
      .description('start everything (or say it is already up) and print the flags and environment to use')
      .option(...dirOption)
      .option('--database <name>', `database created on the --pg / DATABASE_URL server`, DEFAULTS.sandbox.database)
      .option('--products <n>', 'products to seed', String(DEFAULTS.sandbox.products))
      .option('--users <n>', 'users to seed per tenant', String(DEFAULTS.sandbox.usersPerTenant))
      .option('--json', 'print the sandbox as JSON'),
  ).action(async (flags: UpFlags) => {
    const products = positiveInt(flags.products, '--products');
    const users = positiveInt(flags.users, '--users');
    if (!/^[a-z_][a-z0-9_]*$/.test(flags.database)) throw new UsageError(`--database: '${flags.database}' must be lower-case letters, digits and _`);
    const result = await sandboxUp({
      dir: dirOf(flags),
      env: ctx.io.env,
      pgAdminUrl: pgUrlFrom({ pg: flags.pg }, ctx.io),
      database: flags.database,
      products,
      usersPerTenant: users,
      timeoutMs: DEFAULTS.sandbox.startTimeoutMs,
      onEvent: sandboxProgress(ctx.io, Boolean(flags.json)),
      signal: ctx.io.signal,
    });
    reportUp(ctx.io, result, Boolean(flags.json), ctx.color);
  });

  sandbox
    .command('status')
    .description('show each process and whether it answers (exit 1 when something is down or nothing is up)')
    .option(...dirOption)
    .option('--json', 'print the status as JSON')
    .action(async (flags: SandboxFlags) => {
      const state = readState(dirOf(flags));
      const health = state ? await sandboxHealth(state) : [];
      reportStatus(ctx.io, state, health, Boolean(flags.json), ctx.color);
      if (!state || !state.complete || health.some((h) => !h.ok)) ctx.exitCode = ExitCode.incomplete;
    });

  sandbox
    .command('down')
    .description('stop everything the sandbox started (and nothing else), drop its database, remove its state')
    .option(...dirOption)
    .option('--json', 'print what was stopped as JSON')
    .action(async (flags: SandboxFlags) => {
      const dir = dirOf(flags);
      const result = await sandboxDown(dir, sandboxProgress(ctx.io, Boolean(flags.json)));
      reportDown(ctx.io, dir, result, Boolean(flags.json));
      if (result.stopped.some((s) => s.outcome === 'not-ours') || result.database?.outcome === 'unreachable') ctx.exitCode = ExitCode.incomplete;
    });

  sandbox
    .command('env')
    .description('print export lines for the running sandbox: eval "$(cachectl sandbox env)"')
    .option(...dirOption)
    .action((flags: SandboxFlags) => {
      const state = readState(dirOf(flags));
      if (!state?.complete) throw new ConnectionError(`no sandbox is up in ${dirOf(flags)}: run cachectl sandbox up first`);
      reportEnv(ctx.io, state);
    });
  return sandbox;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: '${text}' is not a positive whole number`);
  return n;
}
