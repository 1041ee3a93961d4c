/**
 * RawRowsQuery's framing, at every split of the server's bytes into socket chunks: DataRow
 * messages become rows (also when a row or its header spans chunks), every other message reaches
 * the driver byte for byte and in order, and the socket goes back to the driver at ReadyForQuery.
 * The "connection" here is only a stream with the driver's data listener; the real driver and
 * server are in test/integration/warm-keylist-raw.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { RawRowsQuery } from '../../../src/adapters/postgres/raw-rows.js';

function message(code: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = code.charCodeAt(0);
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function dataRow(fields: (string | null)[]): Buffer {
  const parts = [Buffer.from([0, fields.length])];
  for (const f of fields) {
    const len = Buffer.alloc(4);
    if (f === null) {
      len.writeInt32BE(-1);
      parts.push(len);
    } else {
      const bytes = Buffer.from(f, 'utf8');
      len.writeInt32BE(bytes.length);
      parts.push(len, bytes);
    }
  }
  return message('D', Buffer.concat(parts));
}

const ROWS: (string | null)[][] = [
  ['1', 'plain'],
  ['2', null],
  ['3', ''],
  ['4', 'ünï 😀 \r\n*3\r\n'],
  ['5', 'x'.repeat(300)],
];
const before = Buffer.concat([message('1', Buffer.alloc(0)), message('2', Buffer.alloc(0)), message('T', Buffer.from('fields-description-bytes'))]);
const after = Buffer.concat([message('N', Buffer.from('a notice in between')), message('C', Buffer.from('SELECT 5\0'))]);
const ready = message('Z', Buffer.from('I'));
const rows = ROWS.map(dataRow);
// A notice between rows too: the driver must get it, in order.
const stream = Buffer.concat([before, rows[0]!, rows[1]!, message('N', Buffer.from('mid')), rows[2]!, rows[3]!, rows[4]!, after, ready]);
const expectedForDriver = Buffer.concat([before, message('N', Buffer.from('mid')), after, ready]);

function run(chunks: Buffer[]): { driver: Buffer; query: RawRowsQuery; listenerBack: boolean } {
  const socket = new PassThrough();
  const seen: Buffer[] = [];
  const driverListener = (chunk: Buffer) => seen.push(Buffer.from(chunk));
  socket.on('data', driverListener);
  const connection = { stream: socket, parse() {}, bind() {}, describe() {}, execute() {}, sync() {} };
  const query = new RawRowsQuery('SELECT 1', []);
  query.submit(connection as unknown as pg.Connection);
  // Chunk by chunk to whoever listens now, as the socket would (the driver again after ReadyForQuery).
  for (const chunk of chunks) (socket.listeners('data')[0] as (chunk: Buffer) => void)(chunk);
  const listenerBack = socket.listeners('data').length === 1 && socket.listeners('data')[0] === driverListener;
  return { driver: Buffer.concat(seen), query, listenerBack };
}

function assertRun(chunks: Buffer[], what: string): void {
  const { driver, query, listenerBack } = run(chunks);
  assert.ok(driver.equals(expectedForDriver), `${what}: the driver got ${driver.length} bytes, expected ${expectedForDriver.length}`);
  assert.ok(listenerBack, `${what}: the socket is the driver's again`);
  assert.equal(query.rows.count, ROWS.length, what);
  for (let r = 0; r < ROWS.length; r++) {
    for (let c = 0; c < 2; c++) assert.equal(query.rows.text(r, c), ROWS[r]![c], `${what}: row ${r} field ${c}`);
  }
}

test('one chunk, and every split into two chunks', () => {
  assertRun([stream], 'whole');
  for (let at = 1; at < stream.length; at++) assertRun([stream.subarray(0, at), stream.subarray(at)], `split at ${at}`);
});

test('a byte at a time, and three-way splits around every DataRow header', () => {
  assertRun(
    [...stream].map((b) => Buffer.from([b])),
    'bytes',
  );
  for (let at = 1; at + 3 < stream.length; at += 7) {
    assertRun([stream.subarray(0, at), stream.subarray(at, at + 2), stream.subarray(at + 2)], `split at ${at} and ${at + 2}`);
  }
});

test("bytes after ReadyForQuery are the driver's", () => {
  const extra = message('N', Buffer.from('after'));
  const socket = new PassThrough();
  const seen: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => seen.push(Buffer.from(chunk)));
  const query = new RawRowsQuery('SELECT 1', []);
  query.submit({ stream: socket, parse() {}, bind() {}, describe() {}, execute() {}, sync() {} } as unknown as pg.Connection);
  (socket.listeners('data')[0] as (chunk: Buffer) => void)(Buffer.concat([stream, extra]));
  assert.ok(Buffer.concat(seen).equals(Buffer.concat([expectedForDriver, extra])));
});
