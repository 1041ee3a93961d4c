import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRows } from '../../../src/core/warm/batch.js';
import { rowShape } from '../../../src/core/warm/values.js';
import { matchKey, parsePattern } from '../../../src/core/warm/pattern.js';

const product = parsePattern('product:{id}');
const shape = rowShape(['id', 'value']);

test('rows are matched to their keys: numbers and strings alike, the first row wins, strangers ignored', () => {
  const keys = ['product:1', 'product:2', 'product:3', 'product:007'];
  const params = keys.map((k) => matchKey(product, k)![0]!);
  const rows = [
    [2, 'two'],
    ['1', 'one'],
    ['1', 'one again'],
    [99, 'not asked for'],
    [7, 'seven is not 007'],
  ];
  const expected = ['one', 'two', undefined, undefined];
  assert.deepEqual([...matchRows(product, keys, rows, shape, 'string', params)], expected);
  // Without the parameter values, by rendering each row's key: the same answer.
  assert.deepEqual([...matchRows(product, keys, rows, shape, 'string')], expected);
});

test('a key listed twice in a batch gets its value at both places, not "no row"', () => {
  const keys = ['product:5', 'product:6', 'product:5'];
  const params = keys.map((k) => matchKey(product, k)![0]!);
  const rows = [
    [5, 'five'],
    [6, 'six'],
  ];
  assert.deepEqual([...matchRows(product, keys, rows, shape, 'string', params)], ['five', 'six', 'five']);
  assert.deepEqual([...matchRows(product, keys, rows, shape, 'string')], ['five', 'six', 'five']);
  assert.deepEqual([...matchRows(product, keys, [], shape, 'string', params)], [undefined, undefined, undefined]);
});

test('several parameters match on the whole rendered key', () => {
  const user = parsePattern('user:{tenant}:{id}');
  const keys = ['user:acme:1', 'user:acme:2', 'user:beta:1', 'user:acme:1'];
  const rows = [
    ['beta', 1, 'b1'],
    ['acme', '2', 'a2'],
    ['acme', 1, 'a1'],
  ];
  assert.deepEqual([...matchRows(user, keys, rows, rowShape(['tenant', 'id', 'value']), 'string')], ['a1', 'a2', 'b1', 'a1']);
});
