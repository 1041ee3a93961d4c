import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber } from '../../src/reporters/style.js';

test('formatNumber groups like en-US toLocaleString, at most two decimals', () => {
  for (const [n, text] of [
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1,000'],
    [1234567, '1,234,567'],
    [-1234567, '-1,234,567'],
    [0.25, '0.25'],
    [1.5, '1.5'],
    [1234.5678, '1,234.57'],
    [2.999, '3'],
    [-0.001, '0'],
    [Number.MAX_SAFE_INTEGER, '9,007,199,254,740,991'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ] as const)
    assert.equal(formatNumber(n), text, String(n));
});

test('formatNumber agrees with toLocaleString on random integers and two-decimal fractions', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (let i = 0; i < 5000; i++) {
    const magnitude = 10 ** Math.floor(Math.abs(random()) * 15);
    const integer = Math.round(random() * magnitude) + 0; // + 0: not -0, which toLocaleString prints as "-0"
    assert.equal(formatNumber(integer), integer.toLocaleString('en-US'), String(integer));
    // Fractions already at two decimals: no rounding tie between the two methods to disagree on.
    const fraction = Math.round(random() * magnitude) / 100;
    if (fraction !== 0) assert.equal(formatNumber(fraction), fraction.toLocaleString('en-US', { maximumFractionDigits: 2 }), String(fraction));
  }
});
