import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** PLACEHOLDER: `cachectl herd` (see its issue). */
export function registerHerd(program: Command, _ctx: CommandContext): Command {
  return program.command('herd').description('Fire a thundering herd at a key and measure what reaches PostgreSQL, per stampede defence');
}
