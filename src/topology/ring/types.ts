/** Vocabulary of client-side consistent-hash rings and their compatibility profiles. */

/** Whose ring to reproduce bit for bit. */
export type RingCompat = 'twemproxy' | 'libmemcached' | 'hashring' | 'simple';
export const RING_COMPATS: readonly RingCompat[] = ['twemproxy', 'libmemcached', 'hashring', 'simple'];

/** twemproxy's key hashes (its `hash:` setting). */
export type KeyHash = 'one_at_a_time' | 'md5' | 'crc16' | 'crc32' | 'crc32a' | 'fnv1_64' | 'fnv1a_64' | 'fnv1_32' | 'fnv1a_32' | 'hsieh' | 'murmur' | 'jenkins';

export interface RingServer {
  host: string;
  port: number;
  /** Relative weight (twemproxy `host:port:weight`). */
  weight: number;
  /** twemproxy's optional server name; when set it replaces `host:port` in the point names. */
  name?: string;
}

export interface RingSpec {
  compat: RingCompat;
  servers: RingServer[];
  /** Key hash, for twemproxy (default fnv1a_64). Other profiles use their own fixed hash. */
  hash: KeyHash;
  /** Two characters, e.g. `{}`: only the part between them is hashed (twemproxy `hash_tag`). */
  hashTag?: string;
  /** npm hashring options: `compatibility: 'hash_ring'` mode (3 points per md5). */
  hashringMode?: 'default' | 'hash_ring';
  /** twemproxy auto_eject_hosts: a failed server is taken out of the ring and the ring rebuilt. */
  autoEjectHosts?: boolean;
  serverFailureLimit?: number;
  /** Where this spec came from (file and pool), for messages. */
  source?: string;
  /** A twemproxy pool's connection settings (redis_db, redis_auth, timeout, server_retry_timeout). */
  pool?: RingPoolSettings;
}

export interface RingPoolSettings {
  /** The database the proxy's server connections use (after nutcracker 0.5's redis_auth quirk). */
  db?: number;
  /** redis_auth: never printed. */
  password?: string;
  timeoutMs?: number;
  /** How long an ejected server stays out of the ring before it is tried again. */
  serverRetryTimeoutMs?: number;
  /** What cachectl reads differently from the file because the proxy does, for a warning. */
  notes?: string[];
  /** Set when the pool cannot be served (a memcached pool): `file:line: why`, refused on connect. */
  refusal?: string;
}
