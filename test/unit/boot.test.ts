import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BOOT = fileURLToPath(new URL('../../src/boot.ts', import.meta.url));

/**
 * loadBundle in a process of its own, as bin/cachectl runs it (load, run, save): within one
 * process V8 would serve a second compile of the same source from its own memory, and never look
 * at the cache file.
 */
function load(bundle: string, command: string, env: Record<string, string>, sourceMaps = false, exitCode = 0): { cache: string; answer: number } {
  // The same code every time (node's flags, -e's code among them, are part of the cache's name).
  const code = `import { loadBundle } from ${JSON.stringify(BOOT)};
const t = JSON.parse(process.env.BOOT_TEST);
const b = loadBundle(t.bundle, { argv: ['node', 'cachectl', ...t.args], env: process.env, sourceMaps: t.sourceMaps });
process.stdout.write(JSON.stringify({ cache: b.cache, answer: b.exports.answer() }));
b.save(t.exitCode);`;
  const test = JSON.stringify({ bundle, args: command.split(' '), sourceMaps, exitCode });
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: { ...process.env, ...env, BOOT_TEST: test },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { cache: string; answer: number };
}

function fixture(): { dir: string; cache: string; bundle: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-boot-'));
  const bundle = join(dir, 'bundle.cjs');
  // Enough code that V8 has something to cache, and an answer that shows the code ran.
  writeFileSync(bundle, `${Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join('\n')}\nexports.answer = () => f41(1);\n`);
  return { dir, cache: join(dir, 'cache'), bundle, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('the first run writes a cache of its own for its command, later runs use it; the code runs either way', () => {
  const f = fixture();
  try {
    const env = { CACHECTL_CODE_CACHE: f.cache };
    assert.deepEqual(load(f.bundle, 'warm', env), { cache: 'absent', answer: 42 });
    const files = readdirSync(f.cache);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^bundle\.cjs-warm-/);
    assert.equal(statSync(join(f.cache, files[0]!)).mode & 0o777, 0o600);
    assert.equal(statSync(f.cache).mode & 0o777, 0o700);
    assert.deepEqual(load(f.bundle, 'warm', env), { cache: 'used', answer: 42 });
    // Another command has a cache of its own.
    assert.equal(load(f.bundle, 'ring', env).cache, 'absent');
    assert.equal(readdirSync(f.cache).length, 2);
  } finally {
    f.done();
  }
});

test('help and --version have a cache of their own; a run that ends in a usage error (exit 2) leaves none', () => {
  const f = fixture();
  try {
    const env = { CACHECTL_CODE_CACHE: f.cache };
    assert.equal(load(f.bundle, 'warm --help', env).cache, 'absent');
    assert.equal(load(f.bundle, '--version', env).cache, 'used');
    assert.equal(load(f.bundle, 'warm --bad-flag', env, false, 2).cache, 'absent');
    assert.deepEqual(
      readdirSync(f.cache).map((name) => name.split('-')[1]),
      ['help'],
    );
    assert.equal(load(f.bundle, 'warm --keys k.txt', env, false, 1).cache, 'absent');
    assert.equal(load(f.bundle, 'warm --keys k.txt', env).cache, 'used');
  } finally {
    f.done();
  }
});

test('a cache file V8 rejects (garbage) is not used and is written again after the run', () => {
  const f = fixture();
  try {
    const env = { CACHECTL_CODE_CACHE: f.cache };
    load(f.bundle, 'warm', env);
    const file = join(f.cache, readdirSync(f.cache)[0]!);
    writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
    assert.deepEqual(load(f.bundle, 'warm', env), { cache: 'rejected', answer: 42 });
    assert.equal(load(f.bundle, 'warm', env).cache, 'used');
  } finally {
    f.done();
  }
});

test('a rebuilt bundle does not read the cache of the one before, and replaces it', () => {
  const f = fixture();
  try {
    const env = { CACHECTL_CODE_CACHE: f.cache };
    load(f.bundle, 'warm', env);
    load(f.bundle, 'ring', env);
    writeFileSync(f.bundle, 'exports.answer = () => 43;\n');
    utimesSync(f.bundle, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(load(f.bundle, 'warm', env), { cache: 'absent', answer: 43 });
    // Writing it removed the old build's cache of the same command; another command's is its own to replace.
    const files = readdirSync(f.cache).sort();
    assert.equal(files.length, 2);
    assert.match(files[0]!, /^bundle\.cjs-ring-/);
    assert.match(files[1]!, new RegExp(`^bundle\\.cjs-warm-${statSync(f.bundle).size}-`));
  } finally {
    f.done();
  }
});

test('a cache directory or file others may write is never read: the bundle loads without it', () => {
  const f = fixture();
  try {
    const env = { CACHECTL_CODE_CACHE: f.cache };
    load(f.bundle, 'warm', env);
    const file = join(f.cache, readdirSync(f.cache)[0]!);
    chmodSync(file, 0o666);
    assert.deepEqual(load(f.bundle, 'warm', env), { cache: 'unsafe', answer: 42 });
    assert.equal(statSync(file).mode & 0o777, 0o666, 'not replaced');
    chmodSync(file, 0o600);
    chmodSync(f.cache, 0o777);
    assert.deepEqual(load(f.bundle, 'ring', env), { cache: 'unsafe', answer: 42 });
    assert.equal(readdirSync(f.cache).length, 1, 'nothing was written into it');
  } finally {
    f.done();
  }
});

test('CACHECTL_CODE_CACHE=off, or source maps (--verbose), load the bundle as plain CommonJS', () => {
  const f = fixture();
  try {
    assert.deepEqual(load(f.bundle, 'warm', { CACHECTL_CODE_CACHE: 'off' }), { cache: 'off', answer: 42 });
    assert.deepEqual(load(f.bundle, 'warm', { CACHECTL_CODE_CACHE: f.cache }, true), { cache: 'off', answer: 42 });
    assert.throws(() => readdirSync(f.cache), /ENOENT/);
  } finally {
    f.done();
  }
});
