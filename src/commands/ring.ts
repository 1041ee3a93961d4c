/**
 * `cachectl ring locate|stats|diff`: flags only (the actions, in ring-action.ts, are imported when
 * a subcommand runs). Rings need no connection; a cluster's slot map is read from the cluster;
 * the maths lives in src/core/ring.
 */
import type { Command } from 'commander';
import type { ConnectionFlags } from '../config/target.js';
import type { CommandContext } from './context.js';
import { addRedisOptions } from './connection-flags.js';

export interface RingFlags extends ConnectionFlags {
  json?: boolean;
  keys?: string;
  add?: string;
  remove?: string;
}

export function registerRing(program: Command, ctx: CommandContext): Command {
  const ring = program.command('ring').description('Locate keys, show ring balance, and what moves when nodes change');
  const actions = () => import('./ring-action.js');

  addRedisOptions(
    ring
      .command('locate')
      .description("print the node that owns each key (key<TAB>node; cluster: also the slot); '-' reads keys from stdin")
      .argument('<keys...>', "keys to locate, or '-' to read one key per line from stdin")
      .option('--json', 'print a JSON array of {key, node[, slot]}'),
  ).action(async (keys: string[], flags: RingFlags) => (await actions()).ringLocate(keys, flags, ctx));

  addRedisOptions(
    ring
      .command('stats')
      .description("each node's share of the key space (exact for rings), coefficient of variation and max/mean")
      .option('--keys <file>', "share of the keys in this file (one per line; '-' for stdin) instead of the key space")
      .option('--json', 'print JSON'),
  ).action(async (flags: RingFlags) => (await actions()).ringStats(flags, ctx));

  addRedisOptions(
    ring
      .command('diff')
      .description('what fraction of the key space (or of given keys) moves when a ring server is added or removed, from which node to which')
      .option('--add <server>', "the ring with this server added: 'host:port[:weight] [name]'")
      .option('--remove <name>', 'the ring without this server (its name, or host:port)')
      .option('--keys <file>', "count moves over the keys in this file ('-' for stdin) instead of the hash space")
      .option('--json', 'print JSON'),
  ).action(async (flags: RingFlags) => (await actions()).ringDiff(flags, ctx));

  return ring;
}
