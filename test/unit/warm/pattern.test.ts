import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchKey, parsePattern, renderKey } from '../../../src/core/warm/pattern.js';
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
