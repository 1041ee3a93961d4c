/**
 * The one decoder of Redis addresses as operators type them: `redis://[user:pass@]host:port[/db]`,
 * `rediss://` (TLS), bare `host:port` or `host` (redis-cli's habit), `[::1]:6380`, and Unix
 * sockets (`unix:///run/redis.sock`, `redis:///run/redis.sock`, or the bare path). Everything
 * is checked here, once: a bad address is one UsageError naming the flag, never a default.
 */
import { UsageError, redact, registerSecret } from '../errors.js';

export interface RedisEndpoint {
  host: string;
  port: number;
  /** A Unix socket path: host and port are then unused. */
  socket?: string;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Databases are numbered from 0; Redis allows at most `databases` (16 by default) but any number fits. */
const MAX_DB = 1_000_000;

export function parseRedisEndpoint(text: string, flag: string): RedisEndpoint {
  // Shown through redact() when thrown, after any password in it has been registered as a secret.
  const fail = (why: string): never => {
    throw new UsageError(`${flag}: '${redact(text.trim())}' ${why}`);
  };
  const input = text.trim();
  if (input === '') fail('is empty; give host:port or redis://host:port');
  if (input.startsWith('/')) return { host: '', port: 0, socket: input, db: 0, tls: false };
  const scheme = SCHEME.exec(input);
  let rest = input;
  let tls = false;
  let unix = false;
  if (scheme) {
    const name = (scheme[1] as string).toLowerCase();
    if (name === 'rediss') tls = true;
    else if (name === 'unix' || name === 'redis+unix' || name === 'redis+socket') unix = true;
    else if (name !== 'redis') fail(`has scheme ${name}://; use redis://, rediss:// (TLS) or unix:///path/to/redis.sock`);
    rest = input.slice(scheme[0].length);
  }
  // The query (?db=2, redis-py's spelling for sockets) is the only one accepted.
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  // Split credentials at the last '@': a host or a database number never contains one, so a
  // password with an unencoded '/', '@' or ':' is still read whole (redis-cli reads it so too).
  let userinfo: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    // redis://secret@host is a password (redis-cli, ioredis); user:pass is an ACL user.
    if (colon < 0) password = decode(userinfo);
    else {
      username = decode(userinfo.slice(0, colon)) || undefined;
      password = decode(userinfo.slice(colon + 1));
    }
    if (password === '') password = undefined;
    if (password !== undefined) registerSecret(password);
  }
  let db = 0;
  let socket: string | undefined;
  let hostPort = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    hostPort = rest.slice(0, slash);
    const path = rest.slice(slash);
    if (unix || (hostPort === '' && path.length > 1 && !/^\/\d+$/.test(path))) socket = decodeURIComponent(path);
    else if (path !== '/') db = parseDb(path.slice(1), fail);
  }
  if (unix && socket === undefined) fail('names no socket; write unix:///path/to/redis.sock');
  for (const pair of query.split('&').filter(Boolean)) {
    const [key, value = ''] = pair.split('=');
    if (key === 'db') db = parseDb(value, fail);
    else fail(`has ?${key}=: only ?db=N is understood`);
  }
  if (socket !== undefined) {
    if (hostPort !== '') fail('names both a host and a socket path; use unix:///path/to/redis.sock');
    return { host: '', port: 0, socket, db, tls, ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  }
  const { host, port } = parseHost(hostPort, fail);
  return { host, port, db, tls, ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A stray '%' that is no escape: the password is taken as written.
    return text;
  }
}

function parseDb(text: string, fail: (why: string) => never): number {
  if (!/^\d+$/.test(text) || Number(text) > MAX_DB) fail(`has database '${text}', which is not a number; write /0 .. /15 after host:port (or -n N)`);
  return Number(text);
}

function parseHost(text: string, fail: (why: string) => never): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) fail('has an unclosed [ in its IPv6 address; write [::1]:6379');
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) fail('has text after its IPv6 address; write [::1]:6379');
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') !== colon) fail('looks like an IPv6 address; put it in brackets: [::1]:6379');
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  if (host === '') fail('names no host; write e.g. redis://127.0.0.1:6379 (an empty host is never taken to mean this machine)');
  if (/[\s/\\@]/.test(host)) fail(`has an invalid host '${host}'; percent-encode / @ : in a password (%2F %40 %3A)`);
  if (portText === undefined) return { host, port: 6379 };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) fail(`has port '${portText}': a port is a number from 1 to 65535`);
  return { host, port: Number(portText) };
}

/** How an endpoint is shown: no password, ever. */
export function describeEndpoint(e: RedisEndpoint): string {
  const where = e.socket ?? (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);
  const parts = [where];
  if (e.db !== 0) parts.push(`db ${e.db}`);
  if (e.tls) parts.push('TLS');
  if (e.username) parts.push(`user ${e.username}`);
  return parts.join(', ');
}
