import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { countKeyLines, readKeyBatches, type KeyLineBatch } from '../../../src/adapters/files/key-list-reader.js';

async function all(text: string | Buffer[], batchSize = 2, skip = 0) {
  const stream = Readable.from(Array.isArray(text) ? text : [Buffer.from(text)], { objectMode: false });
  const out: { keys: string[]; lines: number[] }[] = [];
  for await (const b of readKeyBatches(stream, 'keys.txt', batchSize, skip)) out.push(b);
  return out;
}

test('BOM, CRLF, blank lines and comments are handled; line numbers are kept', async () => {
  const batches = await all('\uFEFFa:1\r\n\r\n# comment\nb:2\n   \nc:3\td:4 is a comment\n  e:5');
  assert.deepEqual(
    batches.flatMap((b) => b.keys),
    ['a:1', 'b:2', 'c:3', '  e:5'],
  );
  assert.deepEqual(
    batches.flatMap((b) => b.lines),
    [1, 4, 6, 7],
  );
  assert.deepEqual(
    batches.map((b) => b.keys.length),
    [2, 2],
  );
});

test('a multi-byte character split across chunks stays whole', async () => {
  const bytes = Buffer.from('k:é\nk:ü\n');
  const batches = await all([bytes.subarray(0, 3), bytes.subarray(3, 7), bytes.subarray(7)]);
  assert.deepEqual(
    batches.flatMap((b) => b.keys),
    ['k:é', 'k:ü'],
  );
});

test('resume skips the first lines', async () => {
  const batches = await all('a\nb\nc\nd\n', 10, 2);
  assert.deepEqual(
    batches.flatMap((b) => b.keys),
    ['c', 'd'],
  );
});

async function collect(text: string | Buffer, options: Parameters<typeof readKeyBatches>[3], batchSize = 1000) {
  const stream = Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)], { objectMode: false });
  const batches: KeyLineBatch[] = [];
  for await (const b of readKeyBatches(stream, 'keys.txt', batchSize, options)) batches.push(b);
  return batches;
}

test('a line that is not valid UTF-8 is reported as invalid with its line and bytes, never rewritten', async () => {
  const bytes = Buffer.concat([Buffer.from('k:1\n'), Buffer.from([0x6b, 0x3a, 0xff, 0xfe, 0x0a]), Buffer.from('k:é\n')]);
  const batches = await collect(bytes, { invalidUtf8: 'collect' });
  assert.deepEqual(
    batches.flatMap((b) => b.keys),
    ['k:1', 'k:é'],
  );
  assert.deepEqual(
    batches.flatMap((b) => b.invalid ?? []),
    [{ line: 2, key: 'k:\\xff\\xfe', reason: 'not valid UTF-8: the line is reported as its bytes, never rewritten' }],
  );
  assert.ok(!batches.flatMap((b) => b.keys).some((k) => k.includes('\uFFFD')), 'no U+FFFD in any key');
  // Commands that cannot list it say so, with file:line.
  await assert.rejects(collect(bytes, {}), /^InputError: keys\.txt:2: line 2 is not valid UTF-8 \(k:\\xff\\xfe\)/);
});

test('an endless line stops with file:line, without buffering it; an aborted signal ends the reading', async () => {
  // 1 MiB without a line end, in 64 KiB chunks, as /dev/zero gives it.
  const zeros = Array.from({ length: 16 }, () => Buffer.alloc(65536));
  const stream = Readable.from([Buffer.from('k:1\n'), ...zeros], { objectMode: false });
  await assert.rejects(
    (async () => {
      for await (const _ of readKeyBatches(stream, 'zero.txt', 10, { maxLineBytes: 4096 })) void _;
    })(),
    /zero\.txt:2: line 2 is longer than 4096 bytes: this is not a key list/,
  );
  const ctl = new AbortController();
  let chunks = 0;
  const endless = new Readable({
    read() {
      chunks++;
      this.push(Buffer.from('k:1\nk:2\n'.repeat(100)));
    },
  });
  const seen: string[] = [];
  for await (const b of readKeyBatches(endless, 'stdin', 50, { signal: ctl.signal })) {
    seen.push(...b.keys);
    if (seen.length >= 200) ctl.abort('SIGTERM');
  }
  assert.ok(seen.length >= 200 && seen.length < 400, `stopped within a chunk of the signal (${seen.length} keys, ${chunks} chunks)`);
  endless.destroy();
});

test('resume skips the checkpointed lines only where they match their fingerprint', async () => {
  const lines = Array.from({ length: 250 }, (_, i) => `k:${i + 1}`);
  const text = lines.join('\n') + '\n';
  // The first run: marks per batch, as the checkpoint records them.
  const first = await collect(text, { fingerprint: true }, 40);
  const at = first.find((b) => b.mark!.lines === 160)!.mark!.proof();
  const same = await collect(text, { skipLines: 160, proof: at, fingerprint: true }, 40);
  assert.deepEqual(
    same.flatMap((b) => b.keys),
    lines.slice(160),
    'the same input: exactly the lines after the position',
  );
  assert.equal(
    same.find((b) => b.resumeMismatch !== undefined),
    undefined,
  );
  // Another input: nothing is skipped, and the reader says from where.
  const other = lines.map((l, i) => (i === 100 ? 'k:other' : l)).join('\n') + '\n';
  const changed = await collect(other, { skipLines: 160, proof: at, fingerprint: true }, 40);
  assert.deepEqual(changed.flatMap((b) => b.keys).sort(), other.trim().split('\n').sort(), 'every line of the other input is read');
  assert.equal(changed.find((b) => b.resumeMismatch !== undefined)?.resumeMismatch, 1);
  // A shorter input than the position: nothing skipped either.
  const short = await collect(lines.slice(0, 100).join('\n') + '\n', { skipLines: 160, proof: at, fingerprint: true }, 40);
  assert.deepEqual(
    short.flatMap((b) => b.keys),
    lines.slice(0, 100),
  );
  // No proof, no skipping in warm: a bare line count still skips (other commands, old callers).
  assert.deepEqual(
    (await collect(text, { skipLines: 245 })).flatMap((b) => b.keys),
    lines.slice(245),
  );
});

test('block hashes: lines before the first differing block are skipped, from that block on nothing is', async () => {
  const lines = Array.from({ length: 25_000 }, (_, i) => `k:${i + 1}`);
  const text = lines.join('\n') + '\n';
  const marks = await collect(text, { fingerprint: true }, 500);
  const proof = marks.find((b) => b.mark!.lines === 22_500)!.mark!.proof();
  assert.equal(proof.blocks.length, 2);
  const other = lines.map((l, i) => (i === 15_000 ? 'k:changed' : l));
  const r = await collect(other.join('\n') + '\n', { skipLines: 22_500, proof, fingerprint: true }, 500);
  assert.equal(r.find((b) => b.resumeMismatch !== undefined)?.resumeMismatch, 10_001);
  assert.deepEqual(
    r.flatMap((b) => b.keys),
    other.slice(10_000),
    'the first block matched and is skipped; every line after it is read',
  );
});

test('random key lists cut at random chunk boundaries read as a line-by-line reference reads them (ASCII and multi-byte chunks)', async () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const pieces = ['product:', 'user:{42}:', 'é', '日本', ' ', '\t# why', '\r', '#c', 'x'];
  for (let round = 0; round < 200; round++) {
    const lines: string[] = [];
    for (let i = rand(40); i >= 0; i--) {
      let line = '';
      for (let j = rand(4); j >= 0; j--) line += pieces[rand(round % 3 === 0 ? pieces.length : 2)] + String(rand(1000));
      if (rand(5) === 0) line = rand(2) ? '' : '   ';
      lines.push(line);
    }
    const text = lines.join('\n') + (rand(2) ? '\n' : '');
    const expected: { key: string; line: number }[] = [];
    text.split('\n').forEach((raw, i) => {
      let key = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (key.includes('\t')) key = key.slice(0, key.indexOf('\t'));
      if (key === '' || key.startsWith('#') || key.trim() === '') return;
      expected.push({ key, line: i + 1 });
    });
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const n = 1 + rand(24);
      chunks.push(bytes.subarray(at, at + n));
      at += n;
    }
    const batches = await all(chunks, 1 + rand(5));
    assert.deepEqual(
      batches.flatMap((b) => b.keys.map((key, i) => ({ key, line: b.lines[i] }))),
      expected,
      JSON.stringify(text),
    );
  }
});

test('a large all-ASCII chunk is read across its decoding windows: every key whole, in order', async () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `tenant:${i % 7}:product:${i}${'x'.repeat(i % 50)}`);
  const bytes = Buffer.from(keys.join('\n') + '\n');
  // One chunk of about 800 KB, then the same bytes cut in two at an odd place.
  for (const chunks of [[bytes], [bytes.subarray(0, 300_001), bytes.subarray(300_001)]]) {
    const batches = await all(chunks, 1000);
    assert.deepEqual(
      batches.flatMap((b) => b.keys),
      keys,
    );
    assert.deepEqual(
      batches.flatMap((b) => b.lines),
      keys.map((_, i) => i + 1),
    );
  }
});

test('countKeyLines counts what readKeyBatches gives (keys and invalid lines), for random bytes cut at random places', async () => {
  let seed = 3;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const pieces = ['k:', '#', '\t', '\r', ' ', '\u00a0', '\u2003', 'é', '\ufeff', '\x7f', 'x y', '\xff\xfe'];
  for (let round = 0; round < 300; round++) {
    const parts: Buffer[] = [];
    if (rand(4) === 0) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
    for (let i = rand(30); i >= 0; i--) {
      for (let j = rand(4); j >= 0; j--) {
        const p = pieces[rand(pieces.length)] as string;
        // '\xff\xfe' stands for bytes that are not UTF-8.
        parts.push(p === '\xff\xfe' ? Buffer.from([0xff, 0xfe]) : Buffer.from(p + (rand(2) ? String(rand(100)) : '')));
      }
      if (rand(8) !== 0) parts.push(Buffer.from('\n'));
    }
    const bytes = Buffer.concat(parts);
    const cuts = (): Buffer[] => {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = 1 + rand(16);
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      return chunks;
    };
    let expected = 0;
    for await (const b of readKeyBatches(Readable.from(cuts()), 'keys.txt', 7, { invalidUtf8: 'collect' }))
      expected += b.keys.length + (b.invalid?.length ?? 0);
    assert.equal(await countKeyLines(Readable.from(cuts()), 'keys.txt'), expected, JSON.stringify(bytes.toString('latin1')));
  }
});

test('countKeyLines: a BOM before a comment, whitespace-only lines, a TAB at the start, a last line without its end', async () => {
  const count = (text: string) => countKeyLines(Readable.from([Buffer.from(text)]), 'keys.txt');
  assert.equal(await count('\ufeff# comment\nk:1\n'), 1);
  assert.equal(await count(' \t x\n\u2003\n\tk:2\n\r\n k:3\r\nk:4'), 2);
});

test('countKeyLines refuses a line longer than the limit as readKeyBatches does, naming the line', async () => {
  const text = Buffer.from('a\nb\n' + 'x'.repeat(5000) + '\n');
  await assert.rejects(countKeyLines(Readable.from([text]), 'keys.txt', { maxLineBytes: 1000 }), /line 3 is longer than 1000 bytes/);
  // The same line cut across chunks (as a file is read), once ending inside a later chunk and once
  // at the end of the input; a line of exactly the limit, cut the same way, is counted.
  const pieces = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
  await assert.rejects(countKeyLines(Readable.from(pieces(text, 300)), 'keys.txt', { maxLineBytes: 1000 }), /line 3 is longer than 1000 bytes/);
  const ending = Buffer.from('a\nb\n' + 'x'.repeat(1001) + '\nc\n');
  await assert.rejects(countKeyLines(Readable.from(pieces(ending, 999)), 'keys.txt', { maxLineBytes: 1000 }), /line 3 is longer than 1000 bytes/);
  const atLimit = Buffer.from('a\n' + 'x'.repeat(1000) + '\nc\n' + 'y'.repeat(1000));
  assert.equal(await countKeyLines(Readable.from(pieces(atLimit, 7)), 'keys.txt', { maxLineBytes: 1000 }), 4);
});

test('a batch size given as a function is asked again after each batch is taken', async () => {
  const sizes = [3, 1, 5];
  let asked = 0;
  const text = Array.from({ length: 12 }, (_, i) => `k:${i}`).join('\n');
  const out: number[] = [];
  for await (const b of readKeyBatches(Readable.from([Buffer.from(text)]), 'keys.txt', () => sizes[Math.min(asked++, sizes.length - 1)] as number))
    out.push(b.keys.length);
  assert.deepEqual(out, [3, 1, 5, 3]);
});

test('a stream (flushEachChunk): keys that arrived are handed on at the end of their chunk, before the batch fills or the input ends', async () => {
  const input = new PassThrough();
  const batches = readKeyBatches(input, 'stdin', 1000, { flushEachChunk: true })[Symbol.asyncIterator]();
  input.write('a:1\na:2\npart');
  // Without the flush the batch would wait for the input's end: fail instead of hanging.
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    batches.next(),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the keys sent were held back')), 5000))),
  ]).finally(() => clearTimeout(timer));
  assert.deepEqual(first.value?.keys, ['a:1', 'a:2']);
  input.end('ial\n');
  assert.deepEqual((await batches.next()).value?.keys, ['partial']);
  assert.equal((await batches.next()).done, true);
});
