/**
 * Escaping for the report page. Key names, node names and error messages come from the cache and
 * the operator's files, so every one is hostile input: text and attribute values are escaped,
 * and the JSON data block cannot close its own <script> element.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or a quoted attribute value (both quote kinds escaped, so either quoting is safe). */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/**
 * JSON for a `<script type="application/json">` block: `<` is written as \u003c so no `</script>`
 * or `<!--` can appear, and U+2028/U+2029 as escapes, so the text parses back to the same value.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A number for an SVG coordinate: finite, two decimals at most. */
export function coord(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 100) / 100) : '0';
}
