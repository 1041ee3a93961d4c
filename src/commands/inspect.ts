import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** PLACEHOLDER: `cachectl inspect` (see its issue). */
export function registerInspect(program: Command, _ctx: CommandContext): Command {
  return program.command('inspect').description('Inspect TTLs, expiry cliffs, stampede counters, locks, stale copies and node health on every node');
}
