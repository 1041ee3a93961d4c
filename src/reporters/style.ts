/**
 * Colour and layout helpers for reporters. Colour only on a terminal, never with
 * NO_COLOR or --no-color; chalk decides the level, we decide whether at all.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Writable } from '../io.js';

export function styleFor(stream: Writable, colorAllowed: boolean | undefined): ChalkInstance {
  return new Chalk({ level: colorAllowed !== false && stream.isTTY ? 1 : 0 });
}

/**
 * Left-aligned text columns, right-aligned numbers; widths from the content. With `width` (the
 * terminal's columns, see Output.width) a table wider than that is made to fit: first the text
 * columns are cut in the middle with an ellipsis (a key's prefix and its id both stay visible),
 * widest first, down to a floor; if that is not enough, the columns are folded into several
 * tables stacked one under the other, each led by the first column, so every row is still one
 * line and `-` cells stay aligned. Without `width` (not a terminal) nothing changes.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], width?: number): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))].map((r) => header.map((_, i) => String(r[i] ?? '')));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => visibleLength(r[i] as string))));
  if (width === undefined || tableWidth(widths) <= width) return layout(cells, widths, numeric);
  // Cells with colour codes are never cut (the codes would be cut with them).
  const cuttable = header.map((_, i) => !numeric[i] && cells.every((r) => !(r[i] as string).includes('\x1b')));
  const floors = header.map((h, i) => (cuttable[i] ? Math.min(widths[i] as number, Math.max(h.length, MIN_CUT)) : (widths[i] as number)));
  const fitted = shrink(widths, floors, width);
  if (tableWidth(fitted) <= width || header.length <= 2) return layout(cut(cells, fitted), fitted, numeric);
  return fold(cells, widths, floors, numeric, width);
}

/**
 * Widths for rows streamed as they come (their widths taken from the first rows): the text
 * columns narrowed as formatTable would, for a terminal `width` columns wide.
 */
export function fitWidths(header: readonly string[], widths: readonly number[], width: number | undefined): number[] {
  if (width === undefined || tableWidth(widths) <= width) return [...widths];
  return shrink(
    widths,
    header.map((h, i) => Math.min(widths[i] as number, Math.max(h.length, MIN_CUT))),
    width,
  );
}

/** A cell cut to its column's width (middle ellipsis), or as it is when it fits. */
export function fitCell(text: string, width: number): string {
  return visibleLength(text) > width ? middleEllipsis(text, width) : text;
}

/** Text columns are not cut below this many characters (or their header's length). */
const MIN_CUT = 12;
const GAP = 2;

const tableWidth = (widths: readonly number[]) => widths.reduce((a, w) => a + w, 0) + GAP * Math.max(0, widths.length - 1);

/** Narrows the widest column above its floor, one character at a time, until the table fits. */
function shrink(widths: readonly number[], floors: readonly number[], width: number): number[] {
  const out = [...widths];
  let excess = tableWidth(out) - width;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < out.length; i++)
      if ((out[i] as number) > (floors[i] as number) && (widest < 0 || (out[i] as number) > (out[widest] as number))) widest = i;
    if (widest < 0) break;
    out[widest] = (out[widest] as number) - 1;
    excess--;
  }
  return out;
}

/** Columns 1.. packed into tables that fit, each table led by column 0 (the row's name). */
function fold(cells: string[][], widths: readonly number[], floors: readonly number[], numeric: readonly boolean[], width: number): string {
  const groups: number[][] = [];
  let group: number[] = [];
  // Packed by the columns' whole widths, so that folding cuts nothing it need not: packed by
  // their floors, a table that just fitted cut its lead column (the node's address) to the floor.
  for (let i = 1; i < widths.length; i++) {
    const trial = [0, ...group, i];
    if (group.length > 0 && tableWidth(trial.map((j) => widths[j] as number)) > width) {
      groups.push(group);
      group = [];
    }
    group.push(i);
  }
  if (group.length > 0) groups.push(group);
  return groups
    .map((g) => {
      const columns = [0, ...g];
      const w = shrink(
        columns.map((j) => widths[j] as number),
        columns.map((j) => floors[j] as number),
        width,
      );
      // The lead column alone may still be too wide: it gives way, down to a few characters.
      const over = tableWidth(w) - width;
      if (over > 0) w[0] = Math.max(5, (w[0] as number) - over);
      const sub = cells.map((r) => columns.map((j) => r[j] as string));
      return layout(
        cut(sub, w),
        w,
        columns.map((j) => numeric[j] as boolean),
      );
    })
    .join('\n\n');
}

function cut(cells: readonly (readonly string[])[], widths: readonly number[]): string[][] {
  return cells.map((r) => r.map((c, i) => (visibleLength(c) > (widths[i] as number) ? middleEllipsis(c, widths[i] as number) : c)));
}

function layout(cells: readonly (readonly string[])[], widths: readonly number[], numeric: readonly boolean[]): string {
  return cells
    .map((row) =>
      row
        .map((cell, i) => (numeric[i] ? padStart(cell, widths[i] as number) : padEnd(cell, widths[i] as number)))
        .join(' '.repeat(GAP))
        .trimEnd(),
    )
    .join('\n');
}

/** `product:1234567890` in 12 columns: `product…7890`; the end, where ids differ, keeps the extra character. */
export function middleEllipsis(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const head = Math.floor((width - 1) / 2);
  const tail = width - 1 - head;
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - tail).join('');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => (text.includes('\x1b') ? text.replace(ANSI, '') : text).length;
const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visibleLength(text)));
const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - visibleLength(text))) + text;

/**
 * `1,234,567` and `0.25`: en-US grouping, at most two decimals. Grouped here rather than by
 * toLocaleString, whose first call in a process loads ICU's number formatting: about 11 ms of a
 * warm's CPU, spent on its first progress line.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) return Number.isFinite(n) ? n.toLocaleString('en-US') : String(n);
  const [whole = '', fraction = ''] = Math.abs(n)
    .toFixed(Number.isInteger(n) ? 0 : 2)
    .split('.');
  const decimals = fraction.replace(/0+$/, '');
  const sign = n < 0 && (whole !== '0' || decimals !== '') ? '-' : '';
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (decimals ? `.${decimals}` : '');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A text buffer for renderers that build their output piece by piece. */
export class TextBuffer {
  text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
}
