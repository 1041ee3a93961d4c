/**
 * Colour and layout helpers for reporters. Colour only on a terminal, never with
 * NO_COLOR or --no-color; chalk decides the level, we decide whether at all.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Writable } from '../io.js';

export function styleFor(stream: Writable, colorAllowed: boolean | undefined): ChalkInstance {
  return new Chalk({ level: colorAllowed !== false && stream.isTTY ? 1 : 0 });
}

/** Left-aligned text columns, right-aligned numbers; widths from the content. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (numeric[i] ? String(cell).padStart(widths[i] as number) : String(cell).padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
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
