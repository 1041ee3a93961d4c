/**
 * Where the cache and the database are, resolved from flags and environment in one place, with
 * one precedence: flags, then the environment, then the default. Each target says where it came
 * from, so a run can name it. Nothing here opens a socket or reads a file.
 */
import { UsageError, redact, registerCredentialsIn, registerSecret } from '../errors.js';
import type { RingSpec } from '../topology/ring/types.js';
import { DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import { describeEndpoint, parseRedisEndpoint, type RedisEndpoint } from './redis-url.js';
import { pgUrlFromConninfo } from './pg-conninfo.js';

/** TLS as managed Redis services need it; files are read by the adapters. */
export interface TlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Skip certificate verification (redis-cli --insecure). */
  insecure?: boolean;
  /** Server name for SNI and certificate checks (default: the host). */
  servername?: string;
}

export interface RedisAuth {
  username?: string;
  password?: string;
  /** Database selected on every connection (a standalone node, or a twemproxy pool's redis_db). */
  db?: number;
  tls?: boolean;
  tlsSettings?: TlsSettings;
}

interface TargetCommon {
  auth: RedisAuth;
  /** Where the topology was chosen: a flag, an environment variable, the default. */
  source?: string;
  /** Longest a node may take to answer one command before it counts as down. */
  timeoutMs?: number;
}

export type RedisTarget =
  | (TargetCommon & { kind: 'single'; url: string; endpoint: RedisEndpoint })
  | (TargetCommon & { kind: 'cluster'; seeds: { host: string; port: number }[] })
  | (TargetCommon & { kind: 'ring'; spec: RingSpec });

/** Flag values as commander hands them over (see commands/connection-flags.ts). */
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
  cacert?: string;
  cert?: string;
  tlsKey?: string;
  insecure?: boolean;
  sni?: string;
  /** redis-cli's -h / -p / -s / -n / -a / -u. */
  host?: string;
  port?: string;
  socket?: string;
  db?: string;
  pass?: string;
  user?: string;
  uri?: string;
  timeout?: string;
  pg?: string;
  /** Use the local sandbox's cluster and database (`cachectl sandbox up`). */
  sandbox?: boolean;
}

/** Ring construction is injected so this module stays free of file I/O. */
export interface RingLoaders {
  fromServers(text: string, flags: ConnectionFlags): RingSpec;
  fromConfigFile(file: string, pool: string | undefined, flags: ConnectionFlags): RingSpec;
}

const TOPOLOGY_FLAGS = ['redis', 'cluster', 'ring', 'ringConfig'] as const;
const flagName = (k: string) => (k === 'ringConfig' ? '--ring-config' : `--${k}`);

/** In this order when several are set: cachectl's own variables before the generic REDIS_URL. */
const TOPOLOGY_ENV = [
  ['CACHECTL_CLUSTER', 'cluster'],
  ['CACHECTL_RING', 'ring'],
  ['CACHECTL_RING_CONFIG', 'ringConfig'],
  ['REDIS_URL', 'redis'],
] as const;

export function resolveRedisTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv, rings: RingLoaders): RedisTarget {
  for (const k of TOPOLOGY_FLAGS) if (flags[k] !== undefined) registerCredentialsIn(flags[k] as string);
  const cliHabit = redisCliEndpoint(flags);
  const chosen: string[] = TOPOLOGY_FLAGS.filter((k) => flags[k] !== undefined).map(flagName);
  if (cliHabit) chosen.push(cliHabit.flags);
  if (chosen.length > 1) throw new UsageError(`choose one topology: ${chosen.join(' and ')} were both given`);
  const timeoutMs = flags.timeout !== undefined ? parseTimeout(flags.timeout) : undefined;
  const password = flags.pass ?? flags.redisPassword ?? env.REDIS_PASSWORD ?? env.REDISCLI_AUTH;
  registerSecret(password);
  const tlsSettings = tlsSettingsOf(flags);
  const auth: RedisAuth = {
    username: flags.user ?? flags.redisUser ?? env.REDIS_USERNAME,
    password,
    tls: flags.tls === true || tlsSettings !== undefined,
    ...(tlsSettings ? { tlsSettings } : {}),
  };
  const common = (source: string, explicitTimeout = timeoutMs) => ({ auth, source, ...(explicitTimeout !== undefined ? { timeoutMs: explicitTimeout } : {}) });
  if (cliHabit) return single(cliHabit.endpoint, flags, common(cliHabit.flags));

  // No topology flag: the environment, in TOPOLOGY_ENV's order, else the default.
  let pick: { kind: (typeof TOPOLOGY_ENV)[number][1] | undefined; value: string; source: string };
  const flag = TOPOLOGY_FLAGS.find((k) => flags[k] !== undefined);
  if (flag) pick = { kind: flag, value: flags[flag] as string, source: flagName(flag) };
  else {
    const set = TOPOLOGY_ENV.filter(([name]) => (env[name] ?? '') !== '');
    const first = set[0];
    if (first) {
      registerCredentialsIn(env[first[0]] as string);
      const ignored = set.slice(1).map(([name]) => name);
      pick = {
        kind: first[1],
        value: env[first[0]] as string,
        source: `${first[0]}${ignored.length > 0 ? ` (also set, not used: ${ignored.join(', ')})` : ''}`,
      };
    } else
      pick = {
        kind: undefined,
        value: DEFAULTS.connection.redisUrl,
        source: 'default (no --redis, --cluster, --ring or --ring-config, and none of CACHECTL_CLUSTER, CACHECTL_RING, CACHECTL_RING_CONFIG, REDIS_URL)',
      };
  }
  const flagOf = pick.kind ? flagName(pick.kind) : '--redis';
  if (pick.kind !== 'redis' && pick.kind !== undefined && flags.db !== undefined) {
    throw new UsageError(`-n/--db: a database number applies to one node (--redis); ${flagOf} is configured elsewhere`);
  }
  switch (pick.kind) {
    case 'cluster': {
      const seeds = parseSeeds(pick.value, pick.source);
      // Credentials or rediss:// written into a seed apply to every node (a cluster shares them).
      const withCreds = seeds.find((s) => s.password !== undefined || s.username !== undefined);
      const clusterAuth: RedisAuth = {
        ...auth,
        username: auth.username ?? withCreds?.username,
        password: auth.password ?? withCreds?.password,
        tls: auth.tls || seeds.some((s) => s.tls),
      };
      return { kind: 'cluster', seeds: seeds.map((s) => ({ host: s.host, port: s.port })), ...common(pick.source), auth: clusterAuth };
    }
    case 'ring':
      return ringTarget(rings.fromServers(pick.value, flags), common(pick.source), timeoutMs);
    case 'ringConfig':
      return ringTarget(rings.fromConfigFile(pick.value, flags.ringPool ?? env.CACHECTL_RING_POOL, flags), common(pick.source), timeoutMs);
    default:
      return single(parseRedisEndpoint(pick.value, pick.kind ? (pick.source.split(' ')[0] as string) : '--redis'), flags, common(pick.source));
  }
}

/** A twemproxy pool's redis_auth, redis_db and timeout apply unless a flag says otherwise. */
function ringTarget(spec: RingSpec, common: TargetCommon, flagTimeout: number | undefined): RedisTarget {
  const auth: RedisAuth = { ...common.auth };
  if (spec.pool?.password !== undefined && auth.password === undefined) auth.password = spec.pool.password;
  if (spec.pool?.db !== undefined) auth.db = spec.pool.db;
  const timeoutMs = flagTimeout ?? spec.pool?.timeoutMs;
  return { kind: 'ring', spec, ...common, auth, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

function single(endpoint: RedisEndpoint, flags: ConnectionFlags, common: TargetCommon): Extract<RedisTarget, { kind: 'single' }> {
  const db = flags.db !== undefined ? parseDbFlag(flags.db) : endpoint.db;
  const e: RedisEndpoint = { ...endpoint, db, tls: endpoint.tls || common.auth.tls === true };
  const auth: RedisAuth = {
    ...common.auth,
    username: e.username ?? common.auth.username,
    password: e.password ?? common.auth.password,
    db,
    tls: e.tls,
  };
  return { kind: 'single', url: endpointUrl(e), endpoint: e, ...common, auth };
}

/**
 * One node from an address as an operator types it, for code that builds a target without flags
 * (tests, benchmarks): decoded here, like every other address, so nothing downstream parses a URL.
 */
export function singleTarget(address: string, auth: RedisAuth = {}, source?: string): Extract<RedisTarget, { kind: 'single' }> {
  registerCredentialsIn(address);
  return single(parseRedisEndpoint(address, '--redis'), {}, { auth, ...(source !== undefined ? { source } : {}) });
}

/** The node and credentials of a single target: the endpoint's own, over the shared ones. */
export function singleNodeOf(target: Extract<RedisTarget, { kind: 'single' }>): { endpoint: RedisEndpoint; auth: RedisAuth } {
  const { endpoint } = target;
  return {
    endpoint,
    auth: {
      ...target.auth,
      username: endpoint.username ?? target.auth.username,
      password: endpoint.password ?? target.auth.password,
      db: target.auth.db ?? endpoint.db,
      tls: endpoint.tls || target.auth.tls === true,
    },
  };
}

/** The credentials, database and TLS a connection to this target uses: a single node's endpoint over the shared ones, else the shared ones. */
export function authOf(target: RedisTarget): RedisAuth {
  return target.kind === 'single' ? singleNodeOf(target).auth : target.auth;
}

/** A credential-free URL of the endpoint, for code and messages that want one string. */
function endpointUrl(e: RedisEndpoint): string {
  if (e.socket) return `unix://${e.socket}${e.db ? `?db=${e.db}` : ''}`;
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.tls ? 'rediss' : 'redis'}://${host}:${e.port}${e.db ? `/${e.db}` : ''}`;
}

/** redis-cli's `-h host -p port -s socket -u uri`: one node, as --redis would give it. */
function redisCliEndpoint(flags: ConnectionFlags): { endpoint: RedisEndpoint; flags: string } | undefined {
  const used = (['host', 'port', 'socket', 'uri'] as const).filter((k) => flags[k] !== undefined);
  if (used.length === 0) return undefined;
  const names = used.map((k) => ({ host: '-h', port: '-p', socket: '-s', uri: '-u' })[k]).join('/');
  if (flags.uri !== undefined) {
    if (used.length > 1) throw new UsageError(`-u: the URL already names the node; drop ${names.replace('-u', '').replace(/^\/|\/$/g, '')}`);
    registerCredentialsIn(flags.uri);
    return { endpoint: parseRedisEndpoint(flags.uri, '-u'), flags: '-u' };
  }
  if (flags.socket !== undefined) {
    if (flags.host !== undefined || flags.port !== undefined) throw new UsageError('-s: a socket path replaces -h and -p; give one or the other');
    return { endpoint: parseRedisEndpoint(flags.socket.startsWith('/') ? flags.socket : `unix://${flags.socket}`, '-s'), flags: '-s' };
  }
  const host = flags.host ?? '127.0.0.1';
  const port = flags.port ?? '6379';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`-p: '${port}' is not a port (1 to 65535)`);
  return { endpoint: parseRedisEndpoint(`${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`, names), flags: names };
}

function parseDbFlag(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`-n/--db: '${text}' is not a database number (0, 1, 2, ...)`);
  return Number(text.trim());
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text, '--timeout');
  if (ms < 1 || ms > DEFAULTS.connection.maxNodeTimeoutMs) {
    throw new UsageError(`--timeout: '${text}' must be between 1ms and ${DEFAULTS.connection.maxNodeTimeoutMs / 60_000}m`);
  }
  return ms;
}

function tlsSettingsOf(flags: ConnectionFlags): TlsSettings | undefined {
  const s: TlsSettings = {
    ...(flags.cacert !== undefined ? { caFile: flags.cacert } : {}),
    ...(flags.cert !== undefined ? { certFile: flags.cert } : {}),
    ...(flags.tlsKey !== undefined ? { keyFile: flags.tlsKey } : {}),
    ...(flags.insecure ? { insecure: true } : {}),
    ...(flags.sni !== undefined ? { servername: flags.sni } : {}),
  };
  if ((s.certFile === undefined) !== (s.keyFile === undefined)) {
    throw new UsageError(
      `${s.certFile === undefined ? '--tls-key' : '--cert'}: a client certificate needs both --cert and --tls-key (redis-cli's --key; in cachectl herd --key names the hot key)`,
    );
  }
  return Object.keys(s).length > 0 ? s : undefined;
}

function parseSeeds(text: string, source: string): RedisEndpoint[] {
  const flag = source.split(' ')[0] as string;
  const seeds = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const e = parseRedisEndpoint(s, flag);
      if (e.socket) throw new UsageError(`${flag}: cluster nodes are reached over TCP; '${s}' is a socket path`);
      if (e.db !== 0) throw new UsageError(`${flag}: a Redis Cluster has only database 0; drop /${e.db} from '${redact(s)}'`);
      return e;
    });
  if (seeds.length === 0) throw new UsageError(`${flag}: give at least one seed node as host:port`);
  return seeds;
}

/** One line naming the topology a run uses and where it came from (no password). */
export function describeTarget(target: RedisTarget): string {
  const from = target.source ? ` (from ${target.source})` : '';
  const timeout = target.timeoutMs !== undefined ? `, node timeout ${target.timeoutMs}ms` : '';
  switch (target.kind) {
    case 'single': {
      const { endpoint } = singleNodeOf(target);
      return `Redis node ${describeEndpoint({ ...endpoint, db: target.auth.db ?? endpoint.db })}${timeout}${from}`;
    }
    case 'cluster':
      return `Redis Cluster via ${target.seeds.map((s) => `${s.host}:${s.port}`).join(',')}${target.auth.tls ? ', TLS' : ''}${timeout}${from}`;
    case 'ring': {
      const db = target.auth.db ? `, db ${target.auth.db}` : '';
      return `ring of ${target.spec.servers.length} servers${target.spec.source && target.spec.source !== '--ring' ? ` from ${target.spec.source}` : ''} (${target.spec.compat}, ${target.spec.hash}${target.spec.hashTag ? `, hash_tag ${target.spec.hashTag}` : ''}${db})${timeout}${from}`;
    }
  }
}

/** Postgres: --pg, else DATABASE_URL, else node-postgres reads the standard PG* variables. */
export function resolvePgUrl(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string | undefined {
  if (flags.pg !== undefined) return pgUrlFromConninfo(flags.pg, '--pg');
  if ((env.DATABASE_URL ?? '') !== '') return pgUrlFromConninfo(env.DATABASE_URL as string, 'DATABASE_URL');
  return undefined;
}

/** Where the database comes from, for the run's first line. */
export function pgSource(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string {
  if (flags.pg !== undefined) return '--pg';
  if ((env.DATABASE_URL ?? '') !== '') return 'DATABASE_URL';
  return 'the PG* variables / libpq defaults';
}
