import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryCopyDecoder, ByteRowBatch, type CopyRow } from '../../../src/adapters/postgres/pg-binary-copy.js';

/** A binary COPY stream as PostgreSQL writes it (header with an extension, rows, trailer). */
function copyStream(rows: CopyRow[], extension = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')];
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0, 0);
  header.writeUInt32BE(extension.length, 4);
  parts.push(header, extension);
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const field of row) {
      const length = Buffer.alloc(4);
      if (field === null) {
        length.writeInt32BE(-1);
        parts.push(length);
      } else {
        const bytes = Buffer.from(field, 'utf8');
        length.writeInt32BE(bytes.length);
        parts.push(length, bytes);
      }
    }
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  parts.push(trailer);
  return Buffer.concat(parts);
}

const ROWS: CopyRow[] = [
  ['product:1', '{"id":1,"name":"Tisch"}'],
  ['product:ünïcödé', 'välüe with € and 😀'],
  ['', ''],
  [null, 'a value without a key'],
  ['k', null],
  ['tab\tnewline\nbackslash\\', 'x'.repeat(70_000)],
];

function decodeInChunks(stream: Buffer, sizes: (i: number) => number): CopyRow[] {
  const decoder = new BinaryCopyDecoder();
  const out: CopyRow[] = [];
  let i = 0;
  for (let at = 0; at < stream.length; i++) {
    const n = Math.max(1, sizes(i));
    decoder.push(stream.subarray(at, at + n), out);
    at += n;
  }
  decoder.finish();
  assert.equal(decoder.done, true);
  return out;
}

test('decodes rows whatever the chunk boundaries (every split point of a small stream)', () => {
  const small = copyStream(ROWS.slice(0, 5), Buffer.from('ext'));
  for (let split = 1; split < small.length; split++) {
    assert.deepEqual(
      decodeInChunks(small, (i) => (i === 0 ? split : small.length)),
      ROWS.slice(0, 5),
      `split at ${split}`,
    );
  }
  assert.deepEqual(
    decodeInChunks(small, () => 1),
    ROWS.slice(0, 5),
    'one byte at a time',
  );
});

test('decodes large values across many chunks', () => {
  const stream = copyStream(ROWS);
  assert.deepEqual(
    decodeInChunks(stream, (i) => 1 + ((i * 7919) % 4096)),
    ROWS,
  );
  assert.deepEqual(
    decodeInChunks(stream, () => stream.length),
    ROWS,
  );
});

test('an empty result is just the header and the trailer', () => {
  assert.deepEqual(
    decodeInChunks(copyStream([]), () => 3),
    [],
  );
});

test('malformed or cut-short streams are errors, not short results', () => {
  const bad = Buffer.from(copyStream(ROWS.slice(0, 1)));
  bad[0] = 0x51;
  assert.throws(() => new BinaryCopyDecoder().push(bad, []), /missing the PGCOPY signature/);
  const three = copyStream([['a', 'b', 'c'] as unknown as CopyRow]);
  assert.throws(() => new BinaryCopyDecoder().push(three, []), /3 fields, expected 2/);
  const whole = copyStream(ROWS.slice(0, 2));
  const cut = new BinaryCopyDecoder();
  const out: CopyRow[] = [];
  cut.push(whole.subarray(0, whole.length - 5), out);
  assert.deepEqual(out, ROWS.slice(0, 1));
  assert.throws(() => cut.finish(), /ended inside a row/);
  const noTrailer = new BinaryCopyDecoder();
  noTrailer.push(whole.subarray(0, whole.length - 2), []);
  assert.throws(() => noTrailer.finish(), /without the end-of-data marker/);
  const after = new BinaryCopyDecoder();
  assert.throws(() => after.push(Buffer.concat([whole, Buffer.from([0, 2])]), []), /after the end-of-data marker/);
});

test('pushBytes hands out offsets into the chunks: the same rows, byte for byte, whatever the chunk boundaries', () => {
  const stream = copyStream(ROWS);
  for (const sizes of [(i: number) => 1 + ((i * 7919) % 4096), () => 1, () => stream.length, () => 65_536]) {
    const decoder = new BinaryCopyDecoder();
    const rows = new ByteRowBatch(2);
    for (let at = 0, i = 0; at < stream.length; i++) {
      const n = Math.max(1, sizes(i));
      decoder.pushBytes(stream.subarray(at, at + n), rows);
      at += n;
    }
    decoder.finish();
    assert.equal(rows.count, ROWS.length);
    for (let r = 0; r < rows.count; r++) {
      const [key, value] = ROWS[r] as CopyRow;
      const chunk = rows.chunks[r] as Buffer;
      const [ka, kl, va, vl] = rows.spans.subarray(4 * r, 4 * r + 4) as unknown as number[];
      assert.deepEqual(kl! < 0 ? null : chunk.subarray(ka, ka! + kl!), key === null ? null : Buffer.from(key));
      assert.deepEqual(vl! < 0 ? null : chunk.subarray(va, va! + vl!), value === null ? null : Buffer.from(value));
    }
    assert.deepEqual(rows.from(2).row(0), ROWS[2]);
  }
});
