import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNonFolder, readSmallText, unreadableReason } from '../../src/adapters/files/local-files.js';

test("the commands' file questions: readable or why not, a file where a folder is expected, a small file's text or its error code", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-local-files-'));
  try {
    const file = join(dir, 'keys.txt');
    writeFileSync(file, 'a\n');
    mkdirSync(join(dir, 'sub'));
    assert.equal(unreadableReason(file), undefined);
    assert.equal(unreadableReason(join(dir, 'nope.txt')), 'no such file');
    if (process.getuid?.() !== 0) {
      chmodSync(file, 0o000);
      assert.equal(unreadableReason(file), 'EACCES');
      chmodSync(file, 0o644);
    }
    assert.equal(isNonFolder(file), true);
    assert.equal(isNonFolder(join(dir, 'sub')), false);
    assert.equal(isNonFolder(join(dir, 'not-yet')), false, 'nothing there yet: the sandbox creates it');
    assert.deepEqual(readSmallText(file), { text: 'a\n' });
    assert.deepEqual(readSmallText(join(dir, 'nope.yml')), { errorCode: 'ENOENT' });
    assert.deepEqual(readSmallText(join(dir, 'sub')), { errorCode: 'EISDIR' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
