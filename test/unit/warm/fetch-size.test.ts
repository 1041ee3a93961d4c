import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSizer } from '../../../src/core/warm/fetch-size.js';

test('a fetch takes the first size until one has come back, then as many keys as fit the byte budget, never more than the batch size', () => {
  const s = new FetchSizer(2000, 16 * 1024 * 1024, 16);
  assert.equal(s.next(), 16);
  s.fetched(16, 16 * 200); // rows of 200 B: the budget holds far more than a batch
  assert.equal(s.next(), 2000);
  s.fetched(2000, 2000 * 1024 * 1024); // then values of 1 MiB: 16 a fetch, at once
  assert.equal(s.next(), 16);
  s.fetched(16, 16 * 200); // small again: the run's average (still large) holds it back
  assert.equal(s.next(), Math.floor((16 * 1024 * 1024) / ((16 * 200 + 2000 * 1048576 + 16 * 200) / 2032)));
  assert.ok(s.next() < 2000);
});

test('values larger than the budget still fetch one key at a time; an empty fetch teaches nothing', () => {
  const s = new FetchSizer(500, 1024, 8);
  s.fetched(0, 0);
  assert.equal(s.next(), 8);
  s.fetched(8, 8 * 4096);
  assert.equal(s.next(), 1);
});
