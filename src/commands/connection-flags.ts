/**
 * The connection flags every command that connects declares. Kept apart from their resolution
 * (options.ts) so declaring them, for --help, loads no topology, YAML or sandbox code.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { RING_COMPATS } from '../topology/ring/types.js';
import { UsageError } from '../errors.js';
import { commandWord } from '../config/argv.js';

/** `--ring-compat hashring:hash_ring`: npm hashring with `compatibility: 'hash_ring'` (3 points per md5). */
export const HASHRING_HASH_RING = 'hashring:hash_ring';

const TOPOLOGY_ORDER = 'flags, then CACHECTL_CLUSTER, CACHECTL_RING, CACHECTL_RING_CONFIG, REDIS_URL, then redis://127.0.0.1:6379';

export function addRedisOptions(cmd: Command): Command {
  return (
    cmd
      .option(
        '--redis <url>',
        `one Redis node: redis://[user:pass@]host:port[/db], rediss:// (TLS), host:port, or a Unix socket (unix:///path or /path) (default: ${TOPOLOGY_ORDER})`,
      )
      .option('--cluster <seeds>', 'a Redis Cluster: comma-separated seed nodes host:port,... (default: CACHECTL_CLUSTER)')
      .option('--ring <servers>', "standalone nodes sharded by a client-side ring: 'host:port[:weight] [name],...' (default: CACHECTL_RING)")
      .option(
        '--ring-config <file>',
        'a twemproxy (nutcracker) YAML file: servers, hash, hash_tag, redis_db, redis_auth, timeout, ejection (default: CACHECTL_RING_CONFIG)',
      )
      .option('--ring-pool <name>', 'which pool of --ring-config (default: CACHECTL_RING_POOL, else the only one)')
      .addOption(
        new Option('--ring-compat <profile>', 'whose ring to reproduce (hashring:hash_ring = npm hashring in hash_ring mode)').choices([
          ...RING_COMPATS,
          HASHRING_HASH_RING,
        ]),
      )
      .option('--ring-hash <hash>', `key hash for --ring with the twemproxy profile (default ${DEFAULTS.ring.hash})`)
      .option('--ring-hash-tag <chars>', "hash tag delimiters for --ring, e.g. '{}'")
      .option('--redis-user <name>', 'Redis ACL user (default: REDIS_USERNAME)')
      .option('--redis-password <password>', 'Redis password (default: REDIS_PASSWORD, REDISCLI_AUTH); never printed')
      .option('--tls', 'use TLS (rediss:// in a URL says the same)')
      .option('--cacert <file>', 'TLS: CA certificate(s) to trust, PEM (implies --tls)')
      .option('--cert <file>', 'TLS: client certificate, PEM (with --tls-key; implies --tls)')
      .option('--tls-key <file>', "TLS: client private key, PEM (redis-cli's --key; implies --tls)")
      .option('--sni <name>', 'TLS: server name to send and to check the certificate against (implies --tls)')
      .option('--insecure', 'TLS: do not verify the server certificate (implies --tls)')
      .option(
        '--timeout <duration>',
        `per node: longest wait for one answer before the node is shown as down (default ${DEFAULTS.connection.nodeTimeoutMs / 1000}s; a twemproxy pool's timeout: when it sets one)`,
      )
      // redis-cli's spellings, accepted as they are typed (-h HOST is rewritten to --host before parsing).
      .addOption(new Option('--host <host>', "redis-cli's -h: the node's host").hideHelp())
      .addOption(new Option('-p, --port <port>', "redis-cli's -p: the node's port").hideHelp())
      .addOption(new Option('-s, --socket <path>', "redis-cli's -s: a Unix socket").hideHelp())
      .addOption(new Option('-n, --db <number>', "redis-cli's -n: database number").hideHelp())
      .addOption(new Option('-a, --pass <password>', "redis-cli's -a: password").hideHelp())
      .addOption(new Option('-u, --uri <url>', "redis-cli's -u: a redis:// URL").hideHelp())
      .addOption(new Option('--user <name>', "redis-cli's --user: ACL user").hideHelp())
      .option('--sandbox', 'use the local sandbox (cachectl sandbox up): its Redis Cluster and, for --pg, its database')
  );
}

/** psql's spellings for the database, declared (hidden, left out of completion) only to answer with cachectl's one spelling. */
export const PSQL_HABITS: ReadonlySet<string> = new Set(['--username', '--dbname']);

export function addPgOptions(cmd: Command): Command {
  return cmd
    .option('--pg <url>', "PostgreSQL: postgres://user@host:5432/db or a libpq string 'host=... dbname=...' (default: DATABASE_URL, else the PG* variables)")
    .addOption(new Option('-U, --username <name>', "psql's -U: answered with the --pg spelling").hideHelp())
    .addOption(new Option('-d, --dbname <name>', "psql's -d: answered with the --pg spelling").hideHelp());
}

/**
 * psql's -U USER / -d DB (its -h/-p are redis-cli's here): one line with the cachectl spelling,
 * before anything connects. The value is not echoed: psql's -d may be a connection string with a password.
 */
export function refusePsqlHabits(opts: { username?: unknown; dbname?: unknown }): void {
  const used = opts.username !== undefined ? '-U/--username' : opts.dbname !== undefined ? '-d/--dbname' : undefined;
  if (used === undefined) return;
  throw new UsageError(
    `${used} is psql's spelling; cachectl takes PostgreSQL as one --pg: a postgres:// URL or a libpq string, e.g. --pg 'host=db1 port=5432 dbname=shop user=app' (or DATABASE_URL)`,
  );
}

/** Commands whose flags come from addRedisOptions: where redis-cli's habits are translated. */
const CONNECTING = new Set(['warm', 'inspect', 'herd', 'ring']);

/**
 * redis-cli's `-h HOST` collides with --help, so it is rewritten to `--host HOST` before commander
 * parses (a lone `-h`, or one before another flag, still asks for help); `--key FILE` next to
 * `--cert` is redis-cli's client key, `--tls-key` here (herd's --key names the hot key).
 */
export function translateRedisCliHabits(argv: readonly string[]): string[] {
  const out = [...argv];
  const command = commandWord(out);
  if (!command || !CONNECTING.has(command)) return out;
  const hasCert = out.includes('--cert');
  for (let i = 2; i < out.length; i++) {
    if (out[i] === '--') break;
    if (out[i] === '-h' && i + 1 < out.length && !(out[i + 1] as string).startsWith('-')) out[i] = '--host';
    else if (out[i] === '--key' && hasCert && command !== 'herd') out[i] = '--tls-key';
  }
  return out;
}
