import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../harness/cli.js';

test('--help lists every command with one line each', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const name of ['warm', 'inspect', 'herd', 'ring', 'sandbox']) {
    assert.match(r.stdout, new RegExp(`^\\s+${name}\\b.*\\S`, 'm'), `${name} missing from help`);
  }
});

test('an unknown flag is a usage error: exit 2, one line on stderr', async () => {
  const r = await runCli(['ring', '--no-such-flag']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
  assert.equal(r.stdout, '');
});

test('an unknown command is a usage error', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});
