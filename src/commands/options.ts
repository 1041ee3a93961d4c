/**
 * Resolves the shared connection flags (declared in connection-flags.ts) into targets.
 * The one place that asks for ring files (read by adapters/files) for the (pure) topology code.
 */
import { resolve } from 'node:path';
import { ConnectionError, RingConfigError, UsageError } from '../errors.js';
import { readState, resolveSandboxDir, type SandboxState } from '../adapters/sandbox/state.js';
import { readSmallText } from '../adapters/files/local-files.js';
import { pgSource, resolvePgUrl, resolveRedisTarget, type ConnectionFlags, type RedisTarget, type RingLoaders } from '../config/target.js';
import { DEFAULTS } from '../config/defaults.js';
import { parseRingServers, ringSpecFromTwemproxyYaml } from '../topology/ring/index.js';
import type { KeyHash, RingCompat, RingSpec } from '../topology/ring/types.js';
import { HASHRING_HASH_RING } from './connection-flags.js';
import type { IO } from '../io.js';
import { renderTopology } from '../reporters/topology.js';
import { outputFor } from '../reporters/output.js';

export function redisTargetFrom(flags: ConnectionFlags, io: IO): RedisTarget {
  if (flags.sandbox) {
    const other = (['redis', 'cluster', 'ring', 'ringConfig', 'host', 'port', 'socket', 'uri'] as const).find((k) => flags[k] !== undefined);
    if (other) throw new UsageError(`choose one topology: --sandbox and --${other === 'ringConfig' ? 'ring-config' : other} were both given`);
    const target = resolveRedisTarget({ ...flags, cluster: sandboxState(io).cluster.join(',') }, io.env, ringLoaders(io));
    return { ...target, source: '--sandbox' };
  }
  return resolveRedisTarget(flags, io.env, ringLoaders(io));
}

/**
 * Names the target on stderr with where it came from: called right before the run connects, so
 * a usage error found earlier stays the only line. Once per run (an inspect --watch connects each tick).
 */
export function announcer(flags: ConnectionFlags, io: IO, target: RedisTarget, withPg = false): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    outputFor(io).diagnostic(
      renderTopology(
        target,
        withPg ? { url: pgUrlFrom(flags, io), source: flags.sandbox && flags.pg === undefined ? '--sandbox' : pgSource(flags, io.env) } : undefined,
      ),
    );
  };
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
      const read = readSmallText(resolve(io.cwd, file));
      if ('errorCode' in read)
        throw new RingConfigError(`cannot read the ring configuration (${read.errorCode}); check the path given to --ring-config`, { file });
      return applyRingFlags(ringSpecFromTwemproxyYaml(read.text, file, pool), flags, true);
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
    if (out.compat !== 'twemproxy')
      throw new UsageError(`--ring-hash-tag: hash tags exist only in the twemproxy profile, not in ${out.compat}; drop --ring-hash-tag`);
    if (flags.ringHashTag.length !== 2) throw new UsageError(`--ring-hash-tag: '${flags.ringHashTag}' must be exactly two characters, e.g. '{}'`);
    out.hashTag = flags.ringHashTag;
  }
  return out;
}
