/**
 * Control characters (C0 and DEL) in text that reaches a terminal, a key-list line or a lock
 * name: keys and database values are hostile input, and one definition keeps every place that
 * guards against them in agreement.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;

export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/** Each control character replaced by `by` (a space by default). */
export function replaceControlChars(text: string, by = ' '): string {
  return text.replace(CONTROL_ALL, by);
}

/** Each control character shown as a `\xNN` escape, so the text stays one readable line. */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL_ALL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Whether one character is a control character (for per-character mappings). */
export function isControlChar(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}
