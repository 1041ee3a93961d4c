/**
 * The one way cachectl's bytes reach the terminal. A command builds one Output from its IO and
 * hands it, with what to say, to the reporters: `render*` functions turn data into text (pure,
 * no stream), and the Output decides where the text goes. Results go to stdout as text or, with
 * --json, as one JSON document; diagnostics (notes, warnings, progress) go to stderr, as plain
 * lines or, with --log-format json, as one JSON object per line. `Output.discard()` is the null
 * variant for runs nobody reads (tests of the core, nested runs).
 *
 * The reporters that draw while a run goes on (progress bars, per-key rows, located keys) are
 * small classes that take the Output and write through it; they are the only other shape.
 */
import type { ChalkInstance } from 'chalk';
import { redact, shorten } from '../errors.js';
import type { IO, Writable } from '../io.js';
import { JsonLogReporter } from './json-log.js';
import { styleFor } from './style.js';

export interface OutputOptions {
  /** --json: results as one JSON document on stdout. */
  json?: boolean;
  /** --log-format json: diagnostics as JSON lines on stderr. */
  logFormat?: 'text' | 'json';
  /** false with --no-color or NO_COLOR; colour is used only on a terminal anyway. */
  color?: boolean;
}

const NOWHERE: Writable = { write: () => true, isTTY: false };

export class Output {
  /** Results are JSON (--json). */
  readonly json: boolean;
  /** Diagnostics as JSON lines (--log-format json); undefined for plain lines. */
  readonly log: JsonLogReporter | undefined;
  /** Colours for text on stdout and on stderr (plain unless that stream is a terminal). */
  readonly style: ChalkInstance;
  readonly errStyle: ChalkInstance;
  /**
   * The columns tables must fit into: the terminal's width when stdout is one, otherwise
   * undefined, so that what scripts and files receive does not depend on a window's size.
   */
  readonly width: number | undefined;

  constructor(
    readonly stdout: Writable,
    readonly stderr: Writable,
    options: OutputOptions = {},
  ) {
    this.json = Boolean(options.json);
    this.log = options.logFormat === 'json' ? new JsonLogReporter(stderr) : undefined;
    this.style = styleFor(stdout, options.color);
    this.errStyle = styleFor(stderr, options.color);
    this.width = stdout.isTTY ? terminalWidth(stdout.columns) : undefined;
  }

  /** Writes nothing anywhere. */
  static discard(): Output {
    return new Output(NOWHERE, NOWHERE);
  }

  /** Rendered results, on stdout as they are. Returns false when stdout asks to wait for 'drain'. */
  result(text: string): boolean {
    if (text === '') return true;
    return this.stdout.write(text) !== false;
  }

  /** One JSON document on stdout (the --json result). */
  document(value: unknown): void {
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** One JSON object per line on stdout (a --watch tick off a terminal). */
  jsonLine(value: unknown): void {
    this.stdout.write(JSON.stringify(value) + '\n');
  }

  /** Rendered diagnostics, on stderr as they are. */
  diagnostic(text: string): void {
    if (text !== '') this.stderr.write(text);
  }

  /** `cachectl: warning: ...`, or a `warning` event in the JSON log. */
  warn(message: string): void {
    if (this.log) this.log.log({ event: 'warning', message });
    else this.stderr.write(`cachectl: warning: ${shorten(redact(message))}\n`);
  }

  /** `cachectl: ...`, or an info-level `warning` event in the JSON log: worth knowing, not wrong. */
  note(message: string): void {
    if (this.log) this.log.log({ event: 'warning', message }, 'info');
    else this.stderr.write(`cachectl: ${shorten(redact(message))}\n`);
  }
}

/** The command's Output: from its IO and flags. */
export function outputFor(io: Pick<IO, 'stdout' | 'stderr'>, options: OutputOptions = {}): Output {
  return new Output(io.stdout, io.stderr, options);
}

/** A terminal that reports no width (some CI pseudo-terminals) is taken as 80 columns. */
function terminalWidth(columns: number | undefined): number {
  return columns !== undefined && Number.isInteger(columns) && columns > 0 ? columns : 80;
}
