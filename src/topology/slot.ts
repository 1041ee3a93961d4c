/**
 * Redis Cluster's hash slot of a key: CRC16 (XMODEM) of the key's UTF-8 bytes, or of its hash tag,
 * mod 16384. The tag is the text between the first `{` and the first `}` after it, when that text
 * is not empty; otherwise the whole key is hashed (so `foo{}{bar}` hashes whole).
 *
 * Written here rather than taken from cluster-key-slot (the library ioredis uses) for two reasons:
 * it copies every key's UTF-8 bytes into a new array first, which at a million keys a second was
 * 4% of warm's profile; and it hashes `{bar}` in `foo{}{bar}`, where Redis hashes the whole key
 * (CLUSTER KEYSLOT says so), which would send such keys to the wrong master. When the hashed text
 * is ASCII it is hashed straight from the character codes, which are its bytes. The tag can be
 * found in the string: `{` and `}` never occur inside a multi-byte UTF-8 sequence.
 */

const TABLE = crc16Table();

function crc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
}

/** CRC16 hash slot of a key, honouring `{hash tags}` exactly as Redis Cluster does. */
export function slotOf(key: string): number {
  let start = 0;
  let end = key.length;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return crc16Bytes(Buffer.from(key.slice(start, end), 'utf8')) & 0x3fff;
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ code) & 0xff] as number);
  }
  return crc & 0x3fff;
}

function crc16Bytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/**
 * The same slot from the key's UTF-8 bytes, bytes[start, start+len): what a streamed warm has
 * (the key is never made a string). Same tag rule: the first `{`, the first `}` after it.
 */
export function slotOfBytes(bytes: Uint8Array, start: number, len: number): number {
  const end = start + len;
  let open = start;
  while (open < end && bytes[open] !== OPEN) open++;
  if (open < end) {
    let close = open + 1;
    while (close < end && bytes[close] !== CLOSE) close++;
    if (close < end && close > open + 1) return crc16Bytes(bytes, open + 1, close) & 0x3fff;
  }
  return crc16Bytes(bytes, start, end) & 0x3fff;
}
