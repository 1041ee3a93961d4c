/**
 * Key and value validation, applied to every key before it is fetched or written.
 * Returns the reason a key is invalid (for the failed-keys list) or undefined.
 */
import type { KeyRules } from './types.js';
import { hasControlChars } from '../text.js';

export function keyProblem(key: string, rules: KeyRules): string | undefined {
  if (key.length === 0) return 'empty key';
  if (rules.rejectControlChars && hasControlChars(key)) return 'key contains a control character';
  // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (key.length * 3 > rules.maxKeyBytes && Buffer.byteLength(key, 'utf8') > rules.maxKeyBytes) {
    return `key is longer than ${rules.maxKeyBytes} bytes (--max-key-bytes)`;
  }
  return undefined;
}

/**
 * keyProblem for a non-empty key given as its UTF-8 bytes: the same rules, on the bytes (a C0
 * control or DEL byte never occurs inside a multi-byte UTF-8 sequence, so a byte scan finds
 * exactly the characters hasControlChars finds).
 */
export function keyBytesProblem(bytes: Uint8Array, at: number, length: number, rules: KeyRules): string | undefined {
  if (rules.rejectControlChars) {
    for (let i = at, end = at + length; i < end; i++) {
      const b = bytes[i] as number;
      if (b < 0x20 || b === 0x7f) return 'key contains a control character';
    }
  }
  if (length > rules.maxKeyBytes) return `key is longer than ${rules.maxKeyBytes} bytes (--max-key-bytes)`;
  return undefined;
}

/** Size in bytes of a value as written (a string, or hash fields and values). */
export function valueBytes(value: string | string[]): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  let n = 0;
  for (const part of value) n += Buffer.byteLength(part, 'utf8');
  return n;
}
