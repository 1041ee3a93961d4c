/**
 * TLS as managed Redis services need it, against a real redis-server with TLS: a private CA
 * (--cacert), a certificate for a name rather than the address (--sni), no verification
 * (--insecure), and client certificates (--cert/--tls-key), for inspect and for warm's own sockets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { freePort } from '../harness/ports.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, tempDir, writeKeyList } from '../harness/warm-helpers.js';

function makeCertificates(dir: string): { ca: string; cert: string; key: string; clientCert: string; clientKey: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=cachectl test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:cache.test\n');
  for (const [who, ext] of [
    ['server', ['-extfile', f('server.ext')]],
    ['client', []],
  ] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`));
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-out', f(`${who}.pem`), ...ext);
  }
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

describe('TLS: --cacert, --sni, --insecure, --cert/--tls-key against a real redis-server', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  let tlsPort: number;
  let files: ReturnType<typeof makeCertificates>;
  let dir: string;

  before(async () => {
    dir = tempDir();
    files = makeCertificates(dir);
    tlsPort = await freePort();
    [redis, db] = await Promise.all([
      startRedis({
        args: [
          '--tls-port',
          String(tlsPort),
          '--tls-cert-file',
          files.cert,
          '--tls-key-file',
          files.key,
          '--tls-ca-cert-file',
          files.ca,
          '--tls-auth-clients',
          'yes',
        ],
      }),
      createTestDatabase('connections_tls'),
    ]);
    await seedCatalogue(db.pool, 30);
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  const node = () => `rediss://127.0.0.1:${tlsPort}`;
  const client = () => ['--cert', files.clientCert, '--tls-key', files.clientKey];

  test('a private CA and the certificate name: inspect answers; without them it is exit 3, one line', async () => {
    const ok = await runCli(['inspect', 'nodes', '--redis', node(), '--cacert', files.ca, '--sni', 'cache.test', ...client(), '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { nodes: { status: string }[] }).nodes[0]?.status, 'ok');
    assert.match(ok.stderr, /topology: Redis node 127\.0\.0\.1:\d+, TLS \(from --redis\)/);

    const untrusted = await runCli(['inspect', 'nodes', '--redis', node(), '--sni', 'cache.test', ...client()]);
    assert.equal(untrusted.code, 3, untrusted.stderr);
    assert.match(untrusted.stderr, /cannot connect to Redis at 127\.0\.0\.1:\d+: .*(self.signed|certificate)/i);
    assert.doesNotMatch(untrusted.stderr, /\n\s+at /);

    const wrongName = await runCli(['inspect', 'nodes', '--redis', node(), '--cacert', files.ca, ...client()]);
    assert.equal(wrongName.code, 3, 'the certificate is for cache.test, not 127.0.0.1');

    const insecure = await runCli(['inspect', 'nodes', '--redis', node(), '--insecure', ...client(), '--json']);
    assert.equal(insecure.code, 0, insecure.stderr);
  });

  test('warm writes over TLS with a client certificate (its own pipelining sockets too)', async () => {
    const keys = writeKeyList(
      dir,
      'k.txt',
      Array.from({ length: 30 }, (_, i) => `product:${i + 1}`),
    );
    const r = await runCli([
      'warm',
      '--keys',
      keys,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--redis',
      `127.0.0.1:${tlsPort}`,
      '--tls',
      '--cacert',
      files.ca,
      '--sni',
      'cache.test',
      ...client(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 30);
    const missing = await runCli(['inspect', 'nodes', '--redis', node(), '--cacert', join(dir, 'nope.pem')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^cachectl: --cacert: cannot read .*nope\.pem \(ENOENT\)$/m);
  });
});
