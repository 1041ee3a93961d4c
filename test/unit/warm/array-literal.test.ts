import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { arrayLiteral } from '../../../src/adapters/postgres/quote.js';

// node-postgres's own conversion of a JS array parameter: the reference arrayLiteral must match.
const require = createRequire(import.meta.url);
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue: (v: unknown) => unknown };

test('arrayLiteral is what node-postgres sends for a string array parameter', () => {
  const samples = [[], ['1'], ['1', '22', '333'], ['a"b', 'c\\d', '\\"', '', ' ', 'NULL', '{x,y}', 'é€😀', 'tab\there', 'line\nbreak', "o'q"]];
  for (const keys of samples) assert.equal(arrayLiteral(keys), prepareValue(keys), JSON.stringify(keys));
});
