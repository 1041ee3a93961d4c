/** Output around every inspect view: progress while scanning, --fail-on results, watch frames. */
import type { ChalkInstance } from 'chalk';
import type { ConditionResult } from '../core/inspect/fail-on.js';
import type { InspectEvent } from '../core/inspect/every-node.js';
import type { Change } from '../core/inspect/watch.js';
import type { Writable } from '../io.js';
import { formatNumber, formatTable } from './style.js';

export function renderFailOn(results: readonly ConditionResult[], style: ChalkInstance): string {
  if (results.length === 0) return '';
  return (
    results
      .map((r) => {
        const value = r.value === null ? 'not measured' : formatNumber(r.value) + (r.metric.endsWith('%') ? '%' : '');
        return r.holds ? style.red(`fail-on: ${r.text} holds (${value})`) : `fail-on: ${r.text} does not hold (${value})`;
      })
      .join('\n') + '\n'
  );
}

/** Keys scanned so far, on one stderr line that rewrites itself; only on a terminal. */
export class ScanProgress {
  private readonly scanned = new Map<number, number>();
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: Writable,
    private readonly intervalMs = 250,
  ) {}

  readonly onEvent = (event: InspectEvent): void => {
    if (!this.stream.isTTY || event.kind !== 'progress') return;
    this.scanned.set(event.node, event.scanned);
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    const total = [...this.scanned.values()].reduce((a, b) => a + b, 0);
    this.stream.write(`\r\x1b[2Kscanning: ${formatNumber(total)} keys on ${this.scanned.size} node(s)`);
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** A watch frame on a terminal: clear, then what got worse since the last tick, then the view. */
export function renderWatchFrame(body: string, worse: readonly Change[], tick: number, intervalMs: number, style: ChalkInstance): string {
  const head = style.bold(`cachectl inspect --watch: tick ${tick}, every ${intervalMs / 1000}s, ${new Date().toISOString()} (Ctrl-C to stop)`);
  const changes =
    tick <= 1
      ? 'Getting worse: (from the next tick)'
      : worse.length === 0
        ? 'Getting worse: nothing'
        : style.bold('Getting worse since the last tick\n') +
          formatTable(
            ['subject', 'figure', 'now', 'change'],
            worse.map((c) => [c.subject, c.metric, c.value, c.previous === null ? 'new' : signed(c.value - c.previous)]),
          );
  return `\x1b[H\x1b[2J${head}\n${changes}\n\n${body}`;
}

function signed(n: number): string {
  return (n > 0 ? '+' : '') + formatNumber(n);
}
