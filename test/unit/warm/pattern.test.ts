import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchKey, matchKeyInto, parsePattern, renderKey } from '../../../src/core/warm/pattern.js';
import { UsageError } from '../../../src/errors.js';

test('parameters come out in pattern order and render back to the key', () => {
  const p = parsePattern('user:{tenant}:{id}');
  assert.deepEqual(p.params, ['tenant', 'id']);
  assert.deepEqual(matchKey(p, 'user:acme:42'), ['acme', '42']);
  assert.equal(renderKey(p, ['acme', 42]), 'user:acme:42');
  assert.equal(matchKey(p, 'user:acme'), undefined);
  assert.equal(matchKey(p, 'order:acme:1'), undefined);
});

test('regex characters in literals are literal; {{ }} are literal braces for hash tags', () => {
  const p = parsePattern('cart.{{{id}}}');
  assert.deepEqual(p.params, ['id']);
  assert.deepEqual(matchKey(p, 'cart.{42}'), ['42']);
  assert.equal(matchKey(p, 'cartX{42}'), undefined);
  assert.equal(renderKey(p, ['7']), 'cart.{7}');
});

test('bad patterns are usage errors that say what to change', () => {
  for (const [bad, message] of [
    ['product:1', /has no parameter/],
    ['product:{id', /unclosed/],
    ['product:{1d}', /not a parameter name/],
    ['a:{x}{y}', /need a separator/],
    ['a:{x}:{x}', /appears twice/],
    ['a:}', /stray/],
  ] as const) {
    assert.throws(
      () => parsePattern(bad),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      bad,
    );
  }
});

test('a one-parameter pattern matches without its regular expression exactly as the expression does', () => {
  const patterns = ['product:{id}', 'a{id}a', '{id}', '{id}:x', 'cart:{{{id}}}', 'é{id}ü', 'x{id}xx'];
  const pieces = ['', 'a', 'x', 'xx', ':', '{', '}', 'é', 'ü', '\n', 'product:', '42', 'cart:{', ':x'];
  for (const source of patterns) {
    const p = parsePattern(source);
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces) {
          const key = a + b + c;
          const m = p.regex.exec(key);
          assert.deepEqual(matchKey(p, key), m ? m.slice(1) : undefined, `${source} against ${JSON.stringify(key)}`);
        }
  }
});

test('matchKeyInto writes the parameters into their columns at the index, as matchKey returns them', () => {
  const one = parsePattern('product:{id}');
  const two = parsePattern('user:{tenant}:{id}');
  const columnsOne: string[][] = [[]];
  const columnsTwo: string[][] = [[], []];
  assert.equal(matchKeyInto(one, 'product:42', columnsOne, 3), true);
  assert.equal(matchKeyInto(one, 'order:42', columnsOne, 4), false);
  assert.equal(matchKeyInto(two, 'user:acme:7', columnsTwo, 0), true);
  assert.equal(matchKeyInto(two, 'user:acme', columnsTwo, 1), false);
  assert.deepEqual(columnsOne[0]?.[3], matchKey(one, 'product:42')?.[0]);
  assert.equal(columnsOne[0]?.length, 4, 'nothing written for the key that did not match');
  assert.deepEqual(
    columnsTwo.map((c) => c[0]),
    matchKey(two, 'user:acme:7'),
  );
  assert.deepEqual(
    columnsTwo.map((c) => c.length),
    [1, 1],
  );
});
