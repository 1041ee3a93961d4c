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

/** Size in bytes of a value as written (a string, or hash fields and values). */
export function valueBytes(value: string | string[]): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  let n = 0;
  for (const part of value) n += Buffer.byteLength(part, 'utf8');
  return n;
}
