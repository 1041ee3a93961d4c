/**
 * Progress of a warm on stderr: a cli-progress bar on a terminal (done/total, rate, ETA),
 * otherwise one plain line every few seconds with no control characters (CI logs, cron).
 */
import cliProgress from 'cli-progress';
import type { ChalkInstance } from 'chalk';
import type { WarmEvent, WarmEventListener } from '../core/warm/events.js';
import { formatDuration } from '../config/duration.js';
import { formatNumber } from './style.js';
import type { Writable } from '../io.js';
import type { Output } from './output.js';
import { replaceControlChars } from '../core/text.js';

export interface ProgressReporter {
  listener: WarmEventListener;
  /** Stops the bar (call before printing the summary). */
  stop(): void;
}

/** Draws on the Output's stderr: a bar on a terminal, plain lines elsewhere. */
export function createWarmProgress(out: Output): ProgressReporter {
  return out.stderr.isTTY ? new BarProgress(out.stderr, out.errStyle) : new PlainProgress(out.stderr);
}

/** Counts shared by both renderings. */
class Tally {
  done = 0;
  written = 0;
  total: number | undefined = 0;
  estimated = false;
  problems = 0;
  retriesShown = 0;
  /** Nodes being waited for (failover or restart). */
  readonly waiting = new Set<string>();

  apply(event: WarmEvent): void {
    if (event.type === 'written') {
      this.done += event.keys;
      this.written += event.keys;
    } else if (event.type === 'skipped') this.done += event.keys;
    else if (event.type === 'keyFailed' && event.entry !== '(verify)') {
      this.done++;
      this.problems++;
    } else if (event.type === 'failover') {
      if (event.state === 'waiting') this.waiting.add(event.node);
      else this.waiting.delete(event.node);
    } else if (event.type === 'entryStart') {
      this.total = event.total === undefined || this.total === undefined ? undefined : this.total + event.total;
      this.estimated ||= event.estimated;
    }
  }
}

class BarProgress implements ProgressReporter {
  private readonly tally = new Tally();
  private readonly bar: cliProgress.SingleBar;
  private started = false;
  private readonly startedAt = Date.now();
  private entry = '';

  constructor(
    private readonly stderr: Writable,
    private readonly style: ChalkInstance,
  ) {
    this.bar = new cliProgress.SingleBar(
      {
        stream: stderr as unknown as NodeJS.WritableStream,
        format: (options, params, payload: { entry: string; rate: string; totalText: string; problems: string }) => {
          const bar = params.total > 0 ? cliProgress.Presets.shades_classic.barCompleteChar.repeat(Math.round(params.progress * 30)).padEnd(30, '░') + ' ' : '';
          return `${payload.entry}${bar}${formatNumber(params.value)}${payload.totalText} keys | ${payload.rate}${payload.problems}`;
        },
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  listener: WarmEventListener = (event) => {
    this.tally.apply(event);
    if (event.type === 'start') {
      this.bar.start(0, 0, this.payload());
      this.started = true;
      return;
    }
    if (!this.started) return;
    if (event.type === 'nodeError' || event.type === 'stopping' || event.type === 'failover') {
      this.bar.stop();
      this.stderr.write(
        this.style.yellow(
          `warm: ${event.type === 'nodeError' ? `${event.node}: ${event.error}` : event.type === 'failover' ? failoverLine(event) : `stopping: ${event.detail}`}\n`,
        ),
      );
      this.bar.start(this.tally.total ?? 0, this.tally.done, this.payload());
      return;
    }
    if (event.type === 'entryStart') {
      // Which entry runs now, so a slow one can be told apart from a slow warm.
      this.entry = `${event.entry} (tier ${event.tier}) `;
      this.bar.setTotal(this.tally.total ?? 0);
    }
    this.bar.update(this.tally.done, this.payload());
  };

  private payload() {
    const t = this.tally;
    const elapsed = Math.max(1, Date.now() - this.startedAt);
    const rate = (t.done * 1000) / elapsed;
    const left = t.total !== undefined && t.total > t.done && rate > 0 ? ((t.total - t.done) / rate) * 1000 : undefined;
    return {
      entry: this.entry,
      // While a node is waited for the rate falls for a reason the operator should see instead.
      rate:
        t.waiting.size > 0
          ? this.style.yellow(`waiting for failover (${[...t.waiting].join(', ')})`)
          : `${formatNumber(Math.round(rate))} keys/s | ETA ${left === undefined ? '-' : formatDuration(left)}`,
      totalText: t.total !== undefined && t.total > 0 ? `/${t.estimated ? '~' : ''}${formatNumber(t.total)}` : '',
      problems: t.problems > 0 ? this.style.yellow(` | ${formatNumber(t.problems)} not written`) : '',
    };
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}

function failoverLine(e: Extract<WarmEvent, { type: 'failover' }>): string {
  const slots = e.slots ? ` (slots ${e.slots})` : '';
  const waited = formatDuration(e.waitedMs);
  if (e.state === 'waiting') return `waiting for failover: ${e.node}${slots} not answering for ${waited}, ${formatNumber(e.heldKeys)} keys held (${e.reason})`;
  if (e.state === 'over') return `failover over: ${e.node}${slots} answered again or its slots moved, after ${waited}; held keys are being written`;
  return `gave up on ${e.node}${slots} after ${waited} (--failover-wait): its keys fail and are listed`;
}

class PlainProgress implements ProgressReporter {
  private readonly tally = new Tally();

  constructor(private readonly stderr: Writable) {}

  listener: WarmEventListener = (event) => {
    this.tally.apply(event);
    const t = this.tally;
    switch (event.type) {
      case 'entryStart':
        this.line(
          `entry ${event.entry} (tier ${event.tier})${event.total !== undefined ? `: ${event.estimated ? 'about ' : ''}${formatNumber(event.total)} keys` : ''}`,
        );
        break;
      case 'progress': {
        const total = t.total !== undefined && t.total > 0 ? `/${t.estimated ? '~' : ''}${formatNumber(t.total)}` : '';
        const pct = t.total ? ` (${Math.min(100, (100 * t.done) / t.total).toFixed(1)}%)` : '';
        const left =
          t.total !== undefined && t.total > t.done && event.keysPerSecond > 0
            ? `, ETA ${formatDuration(((t.total - t.done) / event.keysPerSecond) * 1000)}`
            : '';
        // As on the bar: while a node is waited for, say so instead of a rate that falls for that reason.
        const pace = t.waiting.size > 0 ? `waiting for failover (${[...t.waiting].join(', ')})` : `${formatNumber(event.keysPerSecond)} keys/s${left}`;
        this.line(`${formatNumber(t.done)}${total} keys${pct}, ${pace}${t.problems > 0 ? `, ${formatNumber(t.problems)} not written` : ''}`);
        break;
      }
      case 'nodeError':
        this.line(`${event.node}: ${event.error}`);
        break;
      case 'retry':
        if (t.retriesShown++ < 20) this.line(`retry ${event.attempt} ${event.node ?? event.entry ?? ''} in ${event.delayMs}ms: ${event.reason}`);
        break;
      case 'stopping':
        this.line(`stopping: ${event.detail}`);
        break;
      case 'failover':
        this.line(failoverLine(event));
        break;
      default:
        break;
    }
  };

  private line(text: string): void {
    // Keys and server messages may carry anything; keep the log free of control characters.
    this.stderr.write(`warm: ${replaceControlChars(text, '?')}\n`);
  }

  stop(): void {}
}
