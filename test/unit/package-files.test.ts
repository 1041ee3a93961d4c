import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, packageScript, packageVersion } from '../../src/adapters/files/package-files.js';

test("packageRoot is the directory of cachectl's package.json, and packageVersion its version", () => {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  assert.equal(pkg.name, 'cachectl');
  assert.equal(packageVersion(), pkg.version);
});

test('from source, a package script is the TypeScript file, started with tsx', () => {
  for (const path of ['adapters/herd/worker-main', 'adapters/sandbox/pglite-server']) {
    const { script, nodeArgs } = packageScript(path);
    assert.equal(script, join(packageRoot(), 'src', `${path}.ts`));
    assert.ok(existsSync(script), script);
    assert.equal(nodeArgs[0], '--import');
    assert.match(nodeArgs[1] ?? '', /tsx/);
  }
});
