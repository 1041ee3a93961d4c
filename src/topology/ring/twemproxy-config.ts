/**
 * Reads a twemproxy (nutcracker) YAML configuration into a RingSpec: the chosen pool's
 * servers, hash, hash_tag, distribution and ejection settings, so the ring matches the proxy.
 * Every problem in the file is a RingConfigError (exit 3) naming file:line and what to change;
 * a missing or ambiguous --ring-pool is a UsageError (exit 2).
 */
import { isMap, isScalar, isSeq, newLineCounter, parseDocument, type Node, type Pair, type YAMLMap } from '../../core/yaml.js';
import { RingConfigError, UsageError, registerSecret } from '../../errors.js';
import { isKeyHash, KEY_HASH_NAMES } from './hashes.js';
import { findDuplicate, parseServerLine } from './servers.js';
import type { RingPoolSettings, RingServer, RingSpec } from './types.js';

/** Every directive twemproxy 0.5 reads in a pool (nc_conf.c); anything else it refuses to start with. */
const DIRECTIVES = new Set([
  'listen',
  'hash',
  'hash_tag',
  'distribution',
  'timeout',
  'backlog',
  'client_connections',
  'redis',
  'tcpkeepalive',
  'redis_auth',
  'redis_db',
  'preconnect',
  'auto_eject_hosts',
  'server_connections',
  'server_retry_timeout',
  'server_failure_limit',
  'servers',
]);
/** twemproxy's default server_retry_timeout (ms). */
const DEFAULT_SERVER_RETRY_MS = 30_000;

export function ringSpecFromTwemproxyYaml(yamlText: string, file: string, pool?: string): RingSpec {
  const lines = newLineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lines.linePos(range[0]).line : fallback;
  };
  const fail = (message: string, line?: number): never => {
    throw new RingConfigError(message, { file, line });
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    fail(`not valid YAML: ${first.message.split('\n')[0]}`, lines.linePos(first.pos[0]).line);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail('expected a twemproxy configuration: pool names mapping to their settings (e.g. "alpha:" with "servers:")', lineOf(root));
  const pools = root.items.filter((p) => isScalar(p.key)).map((p) => String((p.key as { value: unknown }).value));
  if (pools.length === 0) fail('no pools defined; a twemproxy file maps pool names to settings');
  let chosen: Pair;
  if (pool !== undefined) {
    const found = root.items.find((p) => isScalar(p.key) && String(p.key.value) === pool);
    if (!found) throw new UsageError(`--ring-pool: ${file} has no pool '${pool}' (pools: ${pools.join(', ')})`);
    chosen = found;
  } else {
    if (pools.length > 1) throw new UsageError(`--ring-config: ${file} has ${pools.length} pools (${pools.join(', ')}); choose one with --ring-pool`);
    chosen = root.items[0]!;
  }
  const poolName = String((chosen.key as { value: unknown }).value);
  const settings = chosen.value;
  if (!isMap(settings)) return fail(`pool '${poolName}' must be a mapping of settings (servers:, hash:, ...)`, lineOf(chosen.key));
  const field = (name: string) => (settings as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === name);
  const scalar = (name: string): { value: unknown; line: number } | undefined => {
    const pair = field(name);
    if (!pair) return undefined;
    if (!isScalar(pair.value)) fail(`${name}: expected a single value`, lineOf(pair.value, lineOf(pair.key)));
    return { value: (pair.value as { value: unknown }).value, line: lineOf(pair.value) };
  };

  const distribution = scalar('distribution');
  if (distribution && distribution.value !== 'ketama') {
    fail(
      `distribution: '${String(distribution.value)}' is not supported; cachectl reproduces only distribution: ketama (modula and random depend on the server count or on chance)`,
      distribution.line,
    );
  }
  const hash = scalar('hash');
  let keyHash: RingSpec['hash'] = 'fnv1a_64';
  if (hash) {
    const value = String(hash.value);
    if (!isKeyHash(value)) fail(`hash: '${value}' is not a twemproxy hash; use one of ${KEY_HASH_NAMES.join(', ')}`, hash.line);
    keyHash = value as RingSpec['hash'];
  }
  let hashTag: string | undefined;
  const tagPair = field('hash_tag');
  if (tagPair) {
    const tag = isScalar(tagPair.value) ? tagPair.value.value : undefined;
    if (typeof tag !== 'string' || Buffer.byteLength(tag) !== 2) {
      fail('hash_tag: must be a quoted two-character string, e.g. hash_tag: "{}"', lineOf(tagPair.value, lineOf(tagPair.key)));
    }
    hashTag = tag as string;
  }
  for (const pair of (settings as YAMLMap).items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!DIRECTIVES.has(name)) fail(`'${name}' is not a twemproxy pool setting (nutcracker refuses to start with it); check its spelling`, lineOf(pair.key));
  }
  const autoEject = scalar('auto_eject_hosts');
  if (autoEject && typeof autoEject.value !== 'boolean') fail('auto_eject_hosts: must be true or false', autoEject.line);
  const failureLimit = scalar('server_failure_limit');
  if (failureLimit && !(Number.isInteger(failureLimit.value) && (failureLimit.value as number) >= 0)) {
    fail('server_failure_limit: must be a whole number', failureLimit.line);
  }
  const connection = poolSettings(scalar, fail, (line) => `${file}:${line ?? lineOf(chosen.key)}`);

  const serversPair = field('servers');
  if (!serversPair) return fail(`pool '${poolName}' has no servers:; list them as "- host:port:weight [name]"`, lineOf(chosen.key));
  if (!isSeq(serversPair.value) || serversPair.value.items.length === 0) {
    return fail('servers: must be a list of "host:port:weight [name]" entries', lineOf(serversPair.value, lineOf(serversPair.key)));
  }
  const servers: RingServer[] = serversPair.value.items.map((item) => {
    const line = lineOf(item, lineOf(serversPair.key));
    if (!isScalar(item)) return fail('servers: each entry must be one "host:port:weight [name]" string', line);
    const { server, error } = parseServerLine(String(item.value), { weightRequired: true });
    if (!server) return fail(`servers: ${error}`, line);
    return server;
  });
  const duplicate = findDuplicate(servers);
  if (duplicate) fail(`servers: ${duplicate}`, lineOf(serversPair.key));

  const spec: RingSpec = { compat: 'twemproxy', servers, hash: keyHash, source: `${file} (pool ${poolName})` };
  if (hashTag !== undefined) spec.hashTag = hashTag;
  spec.autoEjectHosts = autoEject ? (autoEject.value as boolean) : false;
  spec.serverFailureLimit = failureLimit ? (failureLimit.value as number) : 2;
  spec.pool = connection;
  return spec;
}

type ScalarOf = (name: string) => { value: unknown; line: number } | undefined;

/**
 * The settings that decide how a key is reached: redis (protocol), redis_db, redis_auth, timeout,
 * server_retry_timeout. Read as nutcracker 0.5 reads them, quirks included.
 */
function poolSettings(scalar: ScalarOf, fail: (message: string, line?: number) => never, at: (line?: number) => string): RingPoolSettings {
  const pool: RingPoolSettings = { serverRetryTimeoutMs: DEFAULT_SERVER_RETRY_MS, notes: [] };
  const redis = scalar('redis');
  if (redis && typeof redis.value !== 'boolean') fail('redis: must be true or false', redis.line);
  if (!redis || redis.value !== true) {
    // twemproxy's default protocol is memcached: placement is the same (ring locate works), but
    // warm's writes, inspect's scans and herd's drills are Redis commands, refused on connect.
    pool.refusal = `${at(redis?.line)}: this pool speaks memcached (twemproxy's default without redis: true); cachectl reads and writes Redis pools only: add redis: true if its servers are Redis`;
  }
  const auth = scalar('redis_auth');
  if (auth) {
    if (auth.value === null || auth.value === '' || typeof auth.value === 'object') fail("redis_auth: must be the servers' password", auth.line);
    pool.password = String(auth.value);
    registerSecret(pool.password);
  }
  const db = scalar('redis_db');
  if (db) {
    if (!Number.isInteger(db.value) || (db.value as number) < 0) fail('redis_db: must be a database number (0, 1, 2, ...)', db.line);
    if (pool.password !== undefined && (db.value as number) !== 0) {
      // nutcracker 0.5 sends AUTH to a new server connection and then never the SELECT: with both
      // set, its keys live in db 0. What the proxy reads is what the application reads.
      pool.notes?.push(
        `redis_db: ${String(db.value)} (line ${db.line}) is not applied by nutcracker 0.5 when redis_auth is set: its keys are in db 0, so cachectl uses db 0 too`,
      );
      pool.db = 0;
    } else pool.db = db.value as number;
  }
  const timeout = scalar('timeout');
  if (timeout) {
    if (!Number.isInteger(timeout.value) || (timeout.value as number) < 1) fail('timeout: must be a whole number of milliseconds', timeout.line);
    pool.timeoutMs = timeout.value as number;
  }
  const retry = scalar('server_retry_timeout');
  if (retry) {
    if (!Number.isInteger(retry.value) || (retry.value as number) < 1) fail('server_retry_timeout: must be a whole number of milliseconds', retry.line);
    pool.serverRetryTimeoutMs = retry.value as number;
  }
  return pool;
}
