import { test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { slotOf as keySlot, slotOfBytes } from '../../src/topology/slot.js';

test('known slots: the CRC16 check value, redis-cli examples, hash tags', () => {
  // CRC16 XMODEM check value: "123456789" -> 0x31C3.
  assert.equal(keySlot('123456789'), 0x31c3);
  assert.equal(keySlot('foo'), 12182);
  assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
  assert.equal(keySlot('{user1000}.followers'), 3443);
  assert.equal(keySlot(''), 0);
});

test('the same slot as cluster-key-slot wherever that library follows Redis (ASCII, tags, non-ASCII)', () => {
  // cluster-key-slot differs from Redis on an empty tag followed by another tag ('a{}b{c}'): those
  // keys are checked against a real Redis in test/integration/topology-connect.test.ts.
  const pieces = ['product:', '42', '{', '}', 'ü', '€', '😀', 'user', ':', '{tag}', 'x', '\u007f', '\u0080', '}{', 'a{b', 'c}d', '{ü}'];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const keys = ['', '{', '}', '{}', '{}x', 'x{}', '{a}', 'ü{tag}', '{ü}', '{a{b}c}', 'product:123', 'user:{acme}:7', '€'.repeat(50)];
  for (let n = 0; n < 20_000; n++) {
    let key = '';
    const parts = 1 + Math.floor(random() * 6);
    for (let p = 0; p < parts; p++) key += pieces[Math.floor(random() * pieces.length)];
    keys.push(key);
  }
  let compared = 0;
  for (const key of keys) {
    const open = key.indexOf('{');
    if (open >= 0 && key[open + 1] === '}') continue;
    assert.equal(keySlot(key), calculateSlot(key), JSON.stringify(key));
    compared++;
  }
  assert.ok(compared > 10_000, `${compared} keys compared`);
});

test('slotOfBytes: the slot of a key given as UTF-8 bytes equals slotOf of its text, tags included', () => {
  const pieces = ['product:', '42', '{', '}', 'ü', '€', '😀', '{tag}', '}{', 'a{b', 'c}d', '{ü}', '{}'];
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let n = 0; n < 10_000; n++) {
    let key = '';
    const parts = Math.floor(random() * 6);
    for (let p = 0; p < parts; p++) key += pieces[Math.floor(random() * pieces.length)];
    const bytes = Buffer.from(`{pre}${key}{post}`, 'utf8');
    const len = Buffer.byteLength(key);
    assert.equal(slotOfBytes(bytes, 5, len), keySlot(key), JSON.stringify(key));
  }
});
