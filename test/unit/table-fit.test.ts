import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, middleEllipsis } from '../../src/reporters/style.js';

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

test('without a width a table is laid out as before, however wide', () => {
  const rows = [
    [`product:${'9'.repeat(90)}`, 'node-a', 12],
    ['-', '-', 3],
  ];
  // Columns as wide as their widest cell, two spaces apart, numbers right-aligned: nothing cut.
  const pad = ' '.repeat(90);
  assert.equal(
    formatTable(['key', 'node', 'count'], rows),
    [`key     ${pad}  node    count`, `product:${'9'.repeat(90)}  node-a     12`, `-       ${pad}  -           3`].join('\n'),
  );
  assert.ok(widest(formatTable(['key', 'node', 'count'], rows)) > 100);
});

test('a table that fits is not touched', () => {
  const rows = [['user:1', 'a', 1]];
  assert.equal(formatTable(['key', 'node', 'count'], rows, 80), formatTable(['key', 'node', 'count'], rows));
});

test('long keys are cut in the middle, so a table fits 80 columns and `-` cells stay aligned', () => {
  const key = `tenant:acme:session:${'x'.repeat(80)}:42`;
  const text = formatTable(
    ['key', 'node', 'count', 'TTL', 'flags'],
    [
      [key, '127.0.0.1:7000', 1234, 'no TTL', '-'],
      ['short', '127.0.0.1:7001', 5, '-', 'leaked'],
    ],
    80,
  );
  const lines = text.split('\n');
  assert.ok(widest(text) <= 80, text);
  assert.match(lines[1] as string, /^tenant:acme:s.*….*:42\s/);
  // Every column starts at the same offset on every line: the header's offsets.
  const starts = (line: string) => [...line.matchAll(/(?<= {2})\S/g)].map((m) => m.index);
  const header = lines[0] as string;
  const col = (name: string) => header.indexOf(name);
  assert.equal((lines[2] as string).indexOf('127.0.0.1:7001'), col('node'));
  assert.equal((lines[1] as string).indexOf('127.0.0.1:7000'), col('node'));
  assert.equal((lines[2] as string)[col('TTL')], '-');
  assert.equal((lines[1] as string)[col('flags')], '-');
  assert.ok(starts(header).length >= 4);
});

test('too many columns to fit: folded into stacked tables, each led by the first column', () => {
  const header = ['node', 'status', 'role', 'keys', 'with TTL', 'no TTL', 'memory', 'max', 'policy', 'hit ratio', 'evicted', 'expired', 'ops/s', 'clients'];
  const rows = [
    ['127.0.0.1:7000', 'ok', 'master', 1_000_000, 999_000, 1_000, '1.2 GiB', 'none', 'allkeys-lfu', '99.1%', 0, 12, 5_000, 40],
    ['127.0.0.1:7001', 'down', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-'],
  ];
  const text = formatTable(header, rows, 80);
  assert.ok(widest(text) <= 80, text);
  const blocks = text.split('\n\n');
  assert.ok(blocks.length >= 2, text);
  for (const block of blocks) {
    const lines = block.split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] as string, /^node\s/);
    assert.match(lines[2] as string, /^127\.0\.0\.1:7001/);
  }
  // Every header appears exactly once over the blocks, and nothing was cut.
  for (const h of header.slice(1)) assert.equal(blocks.filter((b) => (b.split('\n')[0] as string).includes(h)).length >= 1, true, h);
  assert.doesNotMatch(text, /…/);
});

test('middle ellipsis keeps both ends', () => {
  assert.equal(middleEllipsis('product:1234567890', 12), 'produ…567890');
  assert.equal(middleEllipsis('short', 12), 'short');
  assert.equal(middleEllipsis('abcdef', 1), '…');
});

test('folding cuts nothing that fits whole: the lead column (a node address) stays intact', () => {
  const header = ['node', 'status', 'role', 'keys', 'with TTL', 'no TTL', 'memory', 'max', 'policy', 'hit ratio', 'evicted', 'expired', 'ops/s', 'clients'];
  const row = ['127.0.0.1:18113', 'ok', 'master', 4, 0, 4, '1.0 MiB', 'none', 'noeviction', '-', 0, 0, 3, 2];
  const out = formatTable(header, [row], 80);
  assert.doesNotMatch(out, /…/, out);
  assert.ok(
    out.split('\n').every((l) => l.length <= 80),
    out,
  );
  assert.equal(out.match(/^127\.0\.0\.1:18113 /gm)?.length, out.split('\n\n').length, out);
});
