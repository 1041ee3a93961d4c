/**
 * Where the cache and the database are, resolved from flags and environment in one place.
 * Flags win over environment; nothing here opens a socket.
 */
import { UsageError } from '../errors.js';
import { parseHostPort } from '../topology/types.js';
import type { RingSpec } from '../topology/ring/types.js';
import { DEFAULTS } from './defaults.js';

export interface RedisAuth {
  username?: string;
  password?: string;
  tls?: boolean;
}

export type RedisTarget =
  | { kind: 'single'; url: string; auth: RedisAuth }
  | { kind: 'cluster'; seeds: { host: string; port: number }[]; auth: RedisAuth }
  | { kind: 'ring'; spec: RingSpec; auth: RedisAuth };

/** Flag values as commander hands them over (see commands/options.ts). */
export interface ConnectionFlags {
  redis?: string;
  cluster?: string;
  ring?: string;
  ringConfig?: string;
  ringPool?: string;
  ringCompat?: string;
  ringHash?: string;
  ringHashTag?: string;
  redisPassword?: string;
  redisUser?: string;
  tls?: boolean;
  pg?: string;
  /** Use the local sandbox's cluster and database (`cachectl sandbox up`). */
  sandbox?: boolean;
}

/** Ring construction is injected so this module stays free of file I/O. */
export interface RingLoaders {
  fromServers(text: string, flags: ConnectionFlags): RingSpec;
  fromConfigFile(file: string, pool: string | undefined, flags: ConnectionFlags): RingSpec;
}

export function resolveRedisTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv, rings: RingLoaders): RedisTarget {
  const chosen = (['redis', 'cluster', 'ring', 'ringConfig'] as const).filter((k) => flags[k] !== undefined);
  if (chosen.length > 1) {
    const names = chosen.map((k) => (k === 'ringConfig' ? '--ring-config' : `--${k}`));
    throw new UsageError(`choose one topology: ${names.join(' and ')} were both given`);
  }
  const auth: RedisAuth = {
    username: flags.redisUser ?? env.REDIS_USERNAME,
    password: flags.redisPassword ?? env.REDIS_PASSWORD ?? env.REDISCLI_AUTH,
    tls: flags.tls ?? false,
  };
  if (flags.cluster !== undefined) return { kind: 'cluster', seeds: parseSeeds(flags.cluster), auth };
  if (flags.ring !== undefined) return { kind: 'ring', spec: rings.fromServers(flags.ring, flags), auth };
  if (flags.ringConfig !== undefined) {
    return { kind: 'ring', spec: rings.fromConfigFile(flags.ringConfig, flags.ringPool, flags), auth };
  }
  const url = flags.redis ?? env.REDIS_URL ?? DEFAULTS.connection.redisUrl;
  if (!/^rediss?:\/\//.test(url)) {
    throw new UsageError(`--redis: '${url}' is not a redis:// or rediss:// URL`);
  }
  return { kind: 'single', url, auth };
}

function parseSeeds(text: string): { host: string; port: number }[] {
  const seeds = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const hp = parseHostPort(s.replace(/^rediss?:\/\//, ''));
      if (!hp) throw new UsageError(`--cluster: '${s}' is not host:port`);
      return hp;
    });
  if (seeds.length === 0) throw new UsageError('--cluster: give at least one seed node as host:port');
  return seeds;
}

/** Postgres: --pg, else DATABASE_URL, else node-postgres reads the standard PG* variables. */
export function resolvePgUrl(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string | undefined {
  return flags.pg ?? env.DATABASE_URL ?? undefined;
}
