// Flags only: the actions (process management, the embedded PostgreSQL) are imported when a
// subcommand runs, so --help and the other commands do not load them.
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addPgOptions } from './connection-flags.js';
import { DEFAULTS } from '../config/defaults.js';

export interface SandboxFlags {
  dir?: string;
  json?: boolean;
}

export interface UpFlags extends SandboxFlags {
  pg?: string;
  database: string;
  products: string;
  users: string;
}

/** `cachectl sandbox up|status|down|env`: a local cluster, ring, twemproxy and seeded PostgreSQL. */
export function registerSandbox(program: Command, ctx: CommandContext): Command {
  const sandbox = program.command('sandbox').description('Start, check or stop a local Redis Cluster, ring nodes, twemproxy and a demo PostgreSQL');
  const dirOption = ['--dir <path>', `where the sandbox keeps its state, logs and data (default: CACHECTL_SANDBOX_DIR, else ${DEFAULTS.sandbox.dir})`] as const;
  const actions = () => import('./sandbox-action.js');

  addPgOptions(
    sandbox
      .command('up')
      .description('start everything (or say it is already up) and print the flags and environment to use')
      .option(...dirOption)
      .option('--database <name>', `database created on the --pg / DATABASE_URL server`, DEFAULTS.sandbox.database)
      .option('--products <n>', 'products to seed', String(DEFAULTS.sandbox.products))
      .option('--users <n>', 'users to seed per tenant', String(DEFAULTS.sandbox.usersPerTenant))
      .option('--json', 'print the sandbox as JSON'),
  ).action(async (flags: UpFlags) => (await actions()).sandboxUpAction(flags, ctx));

  sandbox
    .command('status')
    .description('show each process and whether it answers (exit 1 when something is down or nothing is up)')
    .option(...dirOption)
    .option('--json', 'print the status as JSON')
    .action(async (flags: SandboxFlags) => (await actions()).sandboxStatusAction(flags, ctx));

  sandbox
    .command('down')
    .description('stop everything the sandbox started (and nothing else), drop its database, remove its state')
    .option(...dirOption)
    .option('--json', 'print what was stopped as JSON')
    .action(async (flags: SandboxFlags) => (await actions()).sandboxDownAction(flags, ctx));

  sandbox
    .command('env')
    .description('print export lines for the running sandbox: eval "$(cachectl sandbox env)"')
    .option(...dirOption)
    .action(async (flags: SandboxFlags) => (await actions()).sandboxEnvAction(flags, ctx));
  return sandbox;
}
