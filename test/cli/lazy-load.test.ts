// Its own file, so its own process: nothing else has loaded a driver before the check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { runCli } from '../harness/cli.js';

test('help loads no driver, YAML parser or histogram library (they load with the command that runs)', async () => {
  for (const args of [['--help'], ['warm', '--help'], ['inspect', 'ttl', '--help'], ['herd', 'simulate', '--help'], ['sandbox', 'up', '--help']]) {
    assert.equal((await runCli(args)).code, 0, args.join(' '));
  }
  // These packages are CommonJS, so whatever imported them left them in the require cache.
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  for (const heavy of ['ioredis', 'pg', 'yaml', 'hdr-histogram-js']) {
    assert.ok(!loaded.some((path) => path.includes(`/node_modules/${heavy}/`)), `${heavy} was loaded`);
  }
});
