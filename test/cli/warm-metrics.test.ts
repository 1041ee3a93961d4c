import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { tempDir } from '../harness/warm-helpers.js';

/** --metrics-file when the run cannot run: the series says so (exit 3), a dry run writes none. No server needed. */
const SERIES = "SELECT 'm:' || g AS key, 'v' || g AS value FROM generate_series(1, 3) g";
const UNREACHABLE = ['--redis', 'redis://127.0.0.1:1', '--pg', 'postgres://127.0.0.1:1/x'];

test('a warm that cannot connect still writes its series, with exit code 3, once', async () => {
  const prom = join(tempDir(), 'cachectl.prom');
  const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', ...UNREACHABLE, '--lock-name', 'catalog', '--metrics-file', prom]);
  assert.equal(r.code, 3, r.stderr);
  const text = readFileSync(prom, 'utf8');
  assert.equal(text.match(/^cachectl_warm_last_run_exit_code\{/gm)?.length, 1, text);
  assert.match(text, /^cachectl_warm_last_run_exit_code\{warmlist="catalog",topology="redis"\} 3$/m);
  assert.match(text, /^cachectl_warm_keys_written\{warmlist="catalog",topology="redis"\} 0$/m);
});

test('a dry run that cannot connect writes no metrics file', async () => {
  const prom = join(tempDir(), 'cachectl.prom');
  const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', ...UNREACHABLE, '--dry-run', '--metrics-file', prom]);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(existsSync(prom), false);
});
