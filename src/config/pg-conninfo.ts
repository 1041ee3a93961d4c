/**
 * PostgreSQL connection strings as psql users type them: a URL (`postgres://` or
 * `postgresql://`) or a libpq keyword/value string (`host=db1 port=5432 dbname=shop user=app`).
 * node-postgres reads only URLs, so keyword/value strings are turned into one here.
 */
import { UsageError, registerCredentialsIn, registerSecret } from '../errors.js';

/** libpq keywords and the URL part each becomes; the rest are passed as query parameters. */
const URL_PARTS = new Set(['host', 'hostaddr', 'port', 'dbname', 'user', 'password']);
/** Keywords node-postgres understands as query parameters of a URL. */
const QUERY_KEYWORDS = new Set(['sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'application_name', 'options', 'connect_timeout', 'target_session_attrs']);

export function pgUrlFromConninfo(text: string, flag: string): string {
  const input = text.trim();
  if (/^(postgres(ql)?:\/\/|socket:)/i.test(input)) {
    registerCredentialsIn(input);
    return input;
  }
  if (input === '') throw new UsageError(`${flag}: is empty; give postgres://user@host:5432/dbname or 'host=... dbname=...'`);
  if (!/^[a-z_]+\s*=/i.test(input)) {
    // Neither shape, but it may still carry a password (app:pw@host/db, no scheme): the message
    // echoes the value, so the password is registered first and masked there like anywhere else.
    registerCredentialsIn(input);
    throw new UsageError(
      `${flag}: '${input.replace(/password\s*=\s*\S+/gi, 'password=***')}' is neither a postgres:// URL nor a libpq string; e.g. postgres://app@db1:5432/shop or 'host=db1 dbname=shop user=app'`,
    );
  }
  const values = parseKeywords(input, flag);
  registerSecret(values.get('password'));
  for (const key of values.keys()) {
    if (!URL_PARTS.has(key) && !QUERY_KEYWORDS.has(key)) {
      throw new UsageError(`${flag}: libpq keyword '${key}' is not supported here; use ${[...URL_PARTS, ...QUERY_KEYWORDS].join(', ')}`);
    }
  }
  const host = values.get('host') ?? values.get('hostaddr') ?? '';
  const enc = encodeURIComponent;
  const user = values.get('user');
  const password = values.get('password');
  const userinfo = user !== undefined || password !== undefined ? `${enc(user ?? '')}${password !== undefined ? `:${enc(password)}` : ''}@` : '';
  const query = new URLSearchParams();
  // A host that is a directory is a Unix socket: pg-connection-string reads it from ?host=.
  const socket = host.startsWith('/');
  if (socket) query.set('host', host);
  for (const [key, value] of values) if (QUERY_KEYWORDS.has(key)) query.set(key, value);
  const port = values.get('port');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new UsageError(`${flag}: port '${port}' is not a number`);
  const authority = socket ? '' : `${host.includes(':') ? `[${host}]` : host}${port !== undefined ? `:${port}` : ''}`;
  if (socket && port !== undefined) query.set('port', port);
  const q = query.toString();
  return `postgres://${userinfo}${authority}/${enc(values.get('dbname') ?? '')}${q ? `?${q}` : ''}`;
}

/** `key=value` pairs separated by spaces; values may be single-quoted with \' and \\ escapes (libpq's rules). */
function parseKeywords(text: string, flag: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i] as string)) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && /[a-z_]/i.test(text[i] as string)) i++;
    const key = text.slice(keyStart, i).toLowerCase();
    while (i < n && /\s/.test(text[i] as string)) i++;
    if (key === '' || text[i] !== '=')
      throw new UsageError(`${flag}: expected keyword=value at '${text.slice(keyStart, keyStart + 20).replace(/password.*/i, 'password=***')}'`);
    i++;
    while (i < n && /\s/.test(text[i] as string)) i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < n && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i];
        i++;
      }
      if (i >= n) throw new UsageError(`${flag}: unterminated quoted value for ${key}`);
      i++;
    } else {
      while (i < n && !/\s/.test(text[i] as string)) {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i];
        i++;
      }
    }
    out.set(key, value);
  }
  return out;
}
