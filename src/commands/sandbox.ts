import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** PLACEHOLDER: `cachectl sandbox` (see its issue). */
export function registerSandbox(program: Command, _ctx: CommandContext): Command {
  return program.command('sandbox').description('Start, check or stop a local Redis Cluster, ring nodes, twemproxy and a demo PostgreSQL');
}
