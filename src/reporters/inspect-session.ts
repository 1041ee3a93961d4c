/** Output around every inspect view: progress while scanning, --fail-on results, watch frames. */
import type { ChalkInstance } from 'chalk';
import { Presets, SingleBar } from 'cli-progress';
import type { ConditionResult } from '../core/inspect/fail-on.js';
import type { InspectEvent } from '../core/inspect/every-node.js';
import type { Change } from '../core/inspect/watch.js';
import type { Output } from './output.js';
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

/**
 * Scan progress on stderr: a cli-progress bar on a terminal (against the INFO key count when the
 * scan covers every key), a plain line every few seconds otherwise. Never on stdout.
 */
export class ScanProgress {
  private readonly scanned = new Map<number, number>();
  private bar: SingleBar | undefined;
  private lastLine = Date.now();

  constructor(
    private readonly out: Output,
    /** Whether the scan visits every key (MATCH *), so INFO's key count is the total. */
    private readonly everyKey: boolean,
    private readonly plainEveryMs = 5_000,
  ) {}

  readonly onEvent = (event: InspectEvent): void => {
    if (event.kind === 'facts') {
      const stream = this.out.stderr;
      if (!stream.isTTY || !isNodeStream(stream)) return;
      const total = this.everyKey ? event.facts.reduce((a, f) => a + (f.keyspace?.keys ?? 0), 0) : 0;
      this.bar = new SingleBar(
        {
          stream,
          format: total > 0 ? 'scanning {bar} {percentage}% {value}/{total} keys, {eta_formatted} left' : 'scanning: {value} matching keys',
          hideCursor: true,
          clearOnComplete: true,
          fps: 5,
        },
        Presets.shades_classic,
      );
      this.bar.start(total, 0);
      return;
    }
    if (event.kind !== 'progress') return;
    this.scanned.set(event.node, event.scanned);
    const done = [...this.scanned.values()].reduce((a, b) => a + b, 0);
    if (this.bar) this.bar.update(done);
    else if (Date.now() - this.lastLine >= this.plainEveryMs) {
      this.lastLine = Date.now();
      this.out.diagnostic(`inspect: ${formatNumber(done)} keys scanned on ${this.scanned.size} node(s)\n`);
    }
  };

  done(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function isNodeStream(stream: Output['stderr']): stream is Output['stderr'] & NodeJS.WritableStream {
  return typeof (stream as Partial<NodeJS.WritableStream>).on === 'function';
}

/** A watch tick in which no node answered, on a terminal: the screen says only that. */
export function renderWatchError(tick: number, line: string, style: ChalkInstance): string {
  return `\x1b[H\x1b[2J${style.red(`tick ${tick}: ${line}`)}\n`;
}

/** A watch tick off a terminal, as one JSON line: `{tick, at, baseline?, report, failOn, worse}`. */
export function watchTick(
  tick: number,
  baseline: boolean,
  report: unknown,
  failOn: readonly ConditionResult[],
  worse: readonly Change[],
): Record<string, unknown> {
  return { tick, at: new Date().toISOString(), ...(baseline ? { baseline: true } : {}), report, failOn, worse };
}

/**
 * A watch frame on a terminal: clear, then what got worse since the last tick (largest relative
 * change first), then the view. The first tick with figures is the baseline: nothing to compare.
 */
export function renderWatchFrame(
  body: string,
  worse: readonly Change[],
  tick: number,
  intervalMs: number,
  style: ChalkInstance,
  baseline = tick <= 1,
  width?: number,
): string {
  const head = style.bold(`cachectl inspect --watch: tick ${tick}, every ${intervalMs / 1000}s, ${new Date().toISOString()} (Ctrl-C to stop)`);
  const changes = baseline
    ? 'Getting worse: baseline (this tick is what the next ones are compared with)'
    : worse.length === 0
      ? 'Getting worse: nothing'
      : style.bold('Getting worse since the last tick\n') +
        formatTable(
          ['subject', 'figure', 'now', 'change'],
          worse.map((c) => [c.subject, c.metric, c.value, changeText(c)]),
          width,
        );
  return `\x1b[H\x1b[2J${head}\n${changes}\n\n${body}`;
}

/** `+37 (+1,233%)`, or `new` for a figure the last tick did not have. */
function changeText(c: Change): string {
  if (c.previous === null) return 'new';
  const delta = c.value - c.previous;
  return `${signed(delta)} (${signed(Math.round(c.relative * 1000) / 10)}%)`;
}

function signed(n: number): string {
  return (n > 0 ? '+' : '') + formatNumber(n);
}
