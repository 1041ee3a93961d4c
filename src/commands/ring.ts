import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** PLACEHOLDER: `cachectl ring` (see its issue). */
export function registerRing(program: Command, _ctx: CommandContext): Command {
  return program.command('ring').description('Locate keys, show ring balance, and what moves when nodes change');
}
