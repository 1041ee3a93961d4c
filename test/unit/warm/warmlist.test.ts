import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWarmlist } from '../../../src/core/warm/warmlist.js';
import { readWarmlist } from '../../../src/adapters/files/warmlist-file.js';
import { InputError } from '../../../src/errors.js';

test('the shipped catalogue warmlist parses: tiers, TTLs, jitter, formats, key files next to it', () => {
  const entries = parseWarmlist(readFileSync('warmlists/catalog.yml', 'utf8'), 'warmlists/catalog.yml', '/base');
  assert.deepEqual(
    entries.map((e) => [e.name, e.tier, e.source.kind]),
    [
      ['hot-products', 1, 'keys'],
      ['categories', 1, 'query'],
      ['active-users', 2, 'keys'],
      ['all-products', 3, 'query'],
    ],
  );
  const hot = entries[0]!;
  assert.equal(hot.ttlMs, 3_600_000);
  assert.equal(hot.jitter, 0.1);
  assert.equal(hot.staleMs, 600_000);
  assert.equal(hot.source.kind === 'keys' && hot.source.keysFile, '/base/hot-products.txt');
  assert.equal(entries[2]!.format, 'hash');
  assert.equal(hot.origin.line, 9);
});

function error(yaml: string): string {
  try {
    parseWarmlist(yaml, 'w.yml', '/');
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.message;
  }
  assert.fail('expected an error');
}

test('errors name the file, the line and the field', () => {
  assert.match(error('entries:\n  - name: a\n    ttl: 1h\n    query: q\n    colour: red\n'), /^w\.yml:5: colour: unknown field/);
  assert.match(error('entries:\n  - name: a\n    ttl: 1h\n    query: q\n    only-missing: yes please\n'), /^w\.yml:5: only-missing: must be true or false/);
  assert.match(error('entries:\n  - name: a\n    ttl: 1h\n    keys: k.txt\n    pattern: p:1\n    fetch: f\n'), /^w\.yml:5: pattern: .*has no parameter/);
  assert.match(error('entries:\n  - name: a\n    query: q\n'), /^w\.yml:2: ttl: entry 'a' has no ttl/);
  assert.match(
    error('entries:\n  - name: a\n    ttl: 1h\n    query: q\n  - name: a\n    ttl: 1h\n    query: q\n'),
    /^w\.yml:5: name: entry name 'a' is used twice/,
  );
  assert.match(error('entries:\n  - name: a\n    ttl: 1h\n    query: q\n    keys: k\n'), /^w\.yml:5: keys: an entry has either/);
  assert.match(error('entries: []\n'), /entries/);
  assert.match(error('defaults:\n  ttl: 1h\n  color: 1\nentries:\n  - name: a\n    query: q\n'), /^w\.yml:3: color: unknown field in defaults/);
});

test('ttl: none, and defaults apply where an entry is silent', () => {
  const [a, b] = parseWarmlist(
    'defaults:\n  ttl: 5m\n  jitter: 5%\nentries:\n  - name: a\n    query: q\n  - name: b\n    ttl: none\n    query: q\n',
    'w.yml',
    '/',
  );
  assert.equal(a!.ttlMs, 300_000);
  assert.equal(a!.jitter, 0.05);
  assert.equal(b!.ttlMs, null);
});

test('readWarmlist: key files resolve next to the warmlist; a missing or oversized file is one InputError naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-warmlist-'));
  try {
    writeFileSync(join(dir, 'w.yml'), 'entries:\n  - name: a\n    ttl: 1h\n    keys: k.txt\n    pattern: p:{id}\n    fetch: f\n');
    const [entry] = readWarmlist(dir, 'w.yml');
    assert.equal(entry!.source.kind === 'keys' && entry!.source.keysFile, join(dir, 'k.txt'));
    assert.throws(
      () => readWarmlist(dir, 'nope.yml'),
      (e: unknown) => e instanceof InputError && e.message === 'nope.yml: cannot read the warmlist (no such file)',
    );
    writeFileSync(join(dir, 'big.yml'), '#'.repeat(1_048_577));
    assert.throws(
      () => readWarmlist(dir, 'big.yml'),
      (e: unknown) => e instanceof InputError && /^big\.yml: the warmlist is 1048577 characters long; a warmlist has at most 1048576/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
