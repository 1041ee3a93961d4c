/**
 * Node's own per-encoding Buffer methods, which `buf.write(s, at)` and `buf.toString('utf8', a, b)`
 * reach through an argument-checking wrapper. On warm's hot path (two strings per key, a million
 * keys a second) that wrapper measured 5-9% of the CPU profile. They are undeclared in @types/node,
 * so they are checked at load and the public methods are used where they are missing.
 */
interface Utf8Methods {
  utf8Write?(text: string, offset: number): number;
  utf8Slice?(start: number, end: number): string;
}

const proto = Buffer.prototype as Buffer & Utf8Methods;
const nativeWrite = typeof proto.utf8Write === 'function' ? proto.utf8Write : undefined;
const nativeSlice = typeof proto.utf8Slice === 'function' ? proto.utf8Slice : undefined;

/** Writes `text` as UTF-8 at `offset` (the caller made room); returns the bytes written. */
export const writeUtf8: (buf: Buffer, text: string, offset: number) => number = nativeWrite
  ? (buf, text, offset) => nativeWrite.call(buf, text, offset)
  : (buf, text, offset) => buf.write(text, offset);

/** The UTF-8 text of buf[start, end). */
export const readUtf8: (buf: Buffer, start: number, end: number) => string = nativeSlice
  ? (buf, start, end) => nativeSlice.call(buf, start, end)
  : (buf, start, end) => buf.toString('utf8', start, end);
