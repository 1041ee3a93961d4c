/**
 * `cachectl warm`: flags -> WarmPlan -> executeWarm -> exit code.
 * 0 all written; 1 finished but something was not written (or verify found a problem, or the
 * run stopped early); 2 bad usage or warmlist; 3 cannot connect; 130/143 interrupted.
 * Only the flags are declared here; the action (Redis, PostgreSQL, YAML) is imported when the
 * command runs, so --help and the other commands start without it.
 */
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addPgOptions, addRedisOptions } from './connection-flags.js';
import { addWarmOptions, type WarmFlags } from './warm-flags.js';
import type { ConnectionFlags } from '../config/target.js';
import { addOperationsOptions, type OperationsFlags } from './operations-flags.js';

export function registerWarm(program: Command, ctx: CommandContext): Command {
  const cmd = program.command('warm').description('Warm Redis from PostgreSQL (key lists, SQL queries, warmlists), each key to the node that owns it');
  addWarmOptions(cmd);
  addRedisOptions(cmd);
  addPgOptions(cmd);
  addOperationsOptions(cmd);
  cmd.action(async (files: string[], flags: WarmFlags & ConnectionFlags & OperationsFlags) => {
    const { runWarmCommand } = await import('./warm-action.js');
    await runWarmCommand(files, flags, ctx);
  });
  return cmd;
}
