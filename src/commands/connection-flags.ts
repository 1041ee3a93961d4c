/**
 * The connection flags every command that connects declares. Kept apart from their resolution
 * (options.ts) so declaring them, for --help, loads no topology, YAML or sandbox code.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { RING_COMPATS } from '../topology/ring/types.js';

/** `--ring-compat hashring:hash_ring`: npm hashring with `compatibility: 'hash_ring'` (3 points per md5). */
export const HASHRING_HASH_RING = 'hashring:hash_ring';

export function addRedisOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'one Redis node: redis://[user:pass@]host:port[/db] or rediss:// (default: REDIS_URL)')
    .option('--cluster <seeds>', 'a Redis Cluster: comma-separated seed nodes host:port,...')
    .option('--ring <servers>', "standalone nodes sharded by a client-side ring: 'host:port[:weight] [name],...'")
    .option('--ring-config <file>', 'a twemproxy (nutcracker) YAML file: servers, weights, names, hash, hash_tag')
    .option('--ring-pool <name>', 'which pool of --ring-config (default: the only one)')
    .addOption(new Option('--ring-compat <profile>', 'whose ring to reproduce (hashring:hash_ring = npm hashring in hash_ring mode)').choices([...RING_COMPATS, HASHRING_HASH_RING]))
    .option('--ring-hash <hash>', `key hash for --ring with the twemproxy profile (default ${DEFAULTS.ring.hash})`)
    .option('--ring-hash-tag <chars>', "hash tag delimiters for --ring, e.g. '{}'")
    .option('--redis-user <name>', 'Redis ACL user for --cluster/--ring (default: REDIS_USERNAME)')
    .option('--redis-password <password>', 'Redis password for --cluster/--ring (default: REDIS_PASSWORD); never printed')
    .option('--tls', 'use TLS for --cluster/--ring connections')
    .option('--sandbox', 'use the local sandbox (cachectl sandbox up): its Redis Cluster and, for --pg, its database');
}

export function addPgOptions(cmd: Command): Command {
  return cmd.option('--pg <url>', 'PostgreSQL URL (default: DATABASE_URL, else the PG* variables)');
}
