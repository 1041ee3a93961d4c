import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryPressure } from '../../../src/core/run/memory.js';

const MiB = 1048576;

test('the memory guard counts the heap and the buffers outside it against 85% of the limit', () => {
  assert.equal(memoryPressure(100 * MiB, 100 * MiB, 1024 * MiB), undefined);
  assert.equal(memoryPressure(870 * MiB, 0, 1024 * MiB), undefined);
  const heapOnly = memoryPressure(871 * MiB, 0, 1024 * MiB);
  assert.match(heapOnly ?? '', /^the warm holds 871 MiB \(JS heap 871 MiB, buffers 0 MiB\) of its 1024 MiB limit: .*lower --batch-size/);
  // Values fetched by key list sit in socket chunks, outside the heap: they fill it as well.
  assert.match(memoryPressure(200 * MiB, 700 * MiB, 1024 * MiB) ?? '', /holds 900 MiB \(JS heap 200 MiB, buffers 700 MiB\)/);
});
