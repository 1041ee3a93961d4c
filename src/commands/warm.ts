import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** PLACEHOLDER: `cachectl warm` (see its issue). */
export function registerWarm(program: Command, _ctx: CommandContext): Command {
  return program.command('warm').description('Warm Redis from PostgreSQL (key lists, SQL queries, warmlists), each key to the node that owns it');
}
