/**
 * Keys are hashed from their UTF-8 bytes, as every ring implementation sees them on the wire.
 * One reusable scratch buffer avoids an allocation per key: ASCII keys (the common case) are
 * copied char by char, anything else goes through TextEncoder.encodeInto.
 */
const encoder = new TextEncoder();

/** Room for the key plus MD5 padding (64 bytes) so md5 can pad in place. */
const PAD = 72;
let scratch = new Uint8Array(1024);

/** The shared scratch buffer; valid until the next call to encodeKey. */
export function scratchBytes(): Uint8Array {
  return scratch;
}

/** Writes `key` as UTF-8 into the scratch buffer and returns its length in bytes. */
export function encodeKey(key: string): number {
  const n = key.length;
  if (n * 3 + PAD > scratch.length) scratch = new Uint8Array(n * 3 + PAD + 1024);
  const buf = scratch;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(key, buf).written;
    buf[i] = c;
  }
  return n;
}

/** UTF-8 bytes of a short string in a fresh array (ring construction, not the hot path). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
