import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** `cachectl herd simulate`: placeholder until the simulator lands. */
export function registerHerdSimulate(herd: Command, _ctx: CommandContext): Command {
  return herd.command('simulate').description('Run the strategies on a simulated clock with no servers and print the predicted amplification');
}
