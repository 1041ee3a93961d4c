/**
 * TLS options for Redis connections (ioredis and the warm's own sockets alike), from the
 * --cacert/--cert/--tls-key/--sni/--insecure flags: what managed Redis services need.
 */
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { UsageError } from '../../errors.js';
import type { RedisAuth } from '../../config/target.js';

const cache = new Map<string, Buffer>();

function readPem(file: string, flag: string): Buffer {
  let pem = cache.get(file);
  if (!pem) {
    try {
      pem = readFileSync(file);
    } catch (error) {
      throw new UsageError(`${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    cache.set(file, pem);
  }
  return pem;
}

/** undefined: plain TCP. */
export function tlsOptionsFor(auth: RedisAuth, host: string): ConnectionOptions | undefined {
  if (!auth.tls) return undefined;
  const s = auth.tlsSettings ?? {};
  const servername = s.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  return {
    ...(servername ? { servername } : {}),
    ...(s.caFile ? { ca: readPem(s.caFile, '--cacert') } : {}),
    ...(s.certFile ? { cert: readPem(s.certFile, '--cert') } : {}),
    ...(s.keyFile ? { key: readPem(s.keyFile, '--tls-key') } : {}),
    ...(s.insecure ? { rejectUnauthorized: false } : {}),
    // --sni names the certificate to expect even when connecting by address.
    ...(s.servername && !s.insecure ? { checkServerIdentity: checkAgainst(s.servername) } : {}),
  };
}

function checkAgainst(name: string): NonNullable<ConnectionOptions['checkServerIdentity']> {
  return (_host, cert) => checkServerIdentity(name, cert);
}
