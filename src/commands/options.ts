/**
 * Flags shared by every command that connects, and their resolution into targets.
 * The one place that reads ring files from disk for the (pure) topology code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConnectionError, RingConfigError, UsageError } from '../errors.js';
import { readState, resolveSandboxDir, type SandboxState } from '../adapters/sandbox/state.js';
import { resolvePgUrl, resolveRedisTarget, type ConnectionFlags, type RedisTarget, type RingLoaders } from '../config/target.js';
import { DEFAULTS } from '../config/defaults.js';
import { parseRingServers, ringSpecFromTwemproxyYaml } from '../topology/ring/index.js';
import { RING_COMPATS, type KeyHash, type RingCompat, type RingSpec } from '../topology/ring/types.js';
import type { IO } from '../io.js';

/** `--ring-compat hashring:hash_ring`: npm hashring with `compatibility: 'hash_ring'` (3 points per md5). */
const HASHRING_HASH_RING = 'hashring:hash_ring';

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

export function redisTargetFrom(flags: ConnectionFlags, io: IO): RedisTarget {
  if (flags.sandbox) {
    const other = (['redis', 'cluster', 'ring', 'ringConfig'] as const).find((k) => flags[k] !== undefined);
    if (other) throw new UsageError(`choose one topology: --sandbox and --${other === 'ringConfig' ? 'ring-config' : other} were both given`);
    return resolveRedisTarget({ ...flags, cluster: sandboxState(io).cluster.join(',') }, io.env, ringLoaders(io));
  }
  return resolveRedisTarget(flags, io.env, ringLoaders(io));
}

export function pgUrlFrom(flags: ConnectionFlags, io: IO): string | undefined {
  if (flags.sandbox && flags.pg === undefined) return sandboxState(io).postgres?.url;
  return resolvePgUrl(flags, io.env);
}

/** The running sandbox (CACHECTL_SANDBOX_DIR or .cachectl/sandbox under the current directory). */
function sandboxState(io: IO): SandboxState {
  const dir = resolveSandboxDir(undefined, io.env, io.cwd);
  const state = readState(dir);
  if (!state?.complete) throw new ConnectionError(`--sandbox: no sandbox is up in ${dir}; run cachectl sandbox up (or set CACHECTL_SANDBOX_DIR)`);
  return state;
}

function ringLoaders(io: IO): RingLoaders {
  return {
    fromServers(text, flags) {
      return applyRingFlags({ compat: DEFAULTS.ring.compat, servers: parseRingServers(text), hash: DEFAULTS.ring.hash, source: '--ring' }, flags);
    },
    fromConfigFile(file, pool, flags) {
      const path = resolve(io.cwd, file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        throw new RingConfigError(`cannot read the ring configuration (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path given to --ring-config`, { file });
      }
      return applyRingFlags(ringSpecFromTwemproxyYaml(text, file, pool), flags, true);
    },
  };
}

function applyRingFlags(spec: RingSpec, flags: ConnectionFlags, fromFile = false): RingSpec {
  const out: RingSpec = { ...spec };
  if (flags.ringCompat) {
    if (fromFile && flags.ringCompat !== 'twemproxy') {
      throw new UsageError(`--ring-compat: --ring-config describes a twemproxy pool, so its ring is the twemproxy profile; use --ring for ${flags.ringCompat}`);
    }
    if (flags.ringCompat === HASHRING_HASH_RING) {
      out.compat = 'hashring';
      out.hashringMode = 'hash_ring';
    } else out.compat = flags.ringCompat as RingCompat;
  }
  if (flags.ringHash) {
    if (fromFile) throw new UsageError('--ring-hash: the hash comes from --ring-config; change `hash:` in the file instead');
    if (out.compat !== 'twemproxy') throw new UsageError(`--ring-hash: the ${out.compat} profile always hashes keys with md5; drop --ring-hash`);
    out.hash = flags.ringHash as KeyHash;
  }
  if (flags.ringHashTag !== undefined) {
    if (out.compat !== 'twemproxy') throw new UsageError(`--ring-hash-tag: hash tags exist only in the twemproxy profile, not in ${out.compat}; drop --ring-hash-tag`);
    if (flags.ringHashTag.length !== 2) throw new UsageError(`--ring-hash-tag: '${flags.ringHashTag}' must be exactly two characters, e.g. '{}'`);
    out.hashTag = flags.ringHashTag;
  }
  return out;
}
