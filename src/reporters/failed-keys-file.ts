/**
 * --failed-keys FILE: every key that was not written, one per line, as `key<TAB># kind: reason`.
 * A key list reader stops a key at the TAB, so the file can be fed back with --keys.
 * Lines are buffered and written synchronously in chunks of up to 64 KiB, and at least every
 * 100 ms: memory stays bounded however many keys fail (an async stream would queue them all when
 * the disk is slower than the warm), and the file is current while the run goes (tail -f, CI).
 * The header is written when the file is opened, before the warm writes anything: a path that
 * cannot be written (or a full disk, /dev/full) is an exit 2 with truly nothing written. A write
 * that fails later is reported by `close()` with how many keys it could not list; the warm then
 * prints its summary and exits 1.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WarmEventListener } from '../core/warm/events.js';
import { InputError } from '../errors.js';

const FLUSH_AT = 64 * 1024;
const FLUSH_EVERY_MS = 100;

export class FailedKeysFile {
  private pending = '';
  private fd: number | undefined;
  private error: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  count = 0;
  /** Keys not listed because the file could not be written. */
  lost = 0;
  private pendingKeys = 0;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens (truncates) the file before the warm starts, so a bad path is caught early. */
  static async open(file: string, cwd: string): Promise<FailedKeysFile> {
    const path = resolve(cwd, file);
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new InputError(`cannot write the failed-keys file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { file });
    }
    try {
      writeSync(fd, '# keys not written by cachectl warm: key<TAB># kind: reason (feed back with --keys)\n');
    } catch (error) {
      closeSync(fd);
      throw new InputError(`cannot write the failed-keys file (${(error as NodeJS.ErrnoException).code ?? 'error'}); nothing was written to the cache`, { file });
    }
    return new FailedKeysFile(path, fd);
  }

  listener: WarmEventListener = (event) => {
    if (event.type !== 'keyFailed') return;
    this.count++;
    // eslint-disable-next-line no-control-regex
    const reason = event.reason.replace(/[\u0000-\u001f\u007f]/g, ' ');
    if (this.error) {
      this.lost++;
      return;
    }
    // A key with control characters cannot be a key-list line, nor can the rendering of a line that
    // was not a key (invalid UTF-8): they are written as comments, escaped.
    // eslint-disable-next-line no-control-regex
    const key = event.rendered ? `# ${event.key}` : /[\u0000-\u001f\u007f]/.test(event.key) ? `# ${JSON.stringify(event.key)}` : event.key;
    this.pending += `${key}\t# ${event.kind}: ${reason}${event.line !== undefined ? ` (line ${event.line})` : ''} [${event.entry}]\n`;
    this.pendingKeys++;
    if (this.pending.length >= FLUSH_AT) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_EVERY_MS);
      this.timer.unref();
    }
  };

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fd === undefined || this.pending === '' || this.error) return;
    try {
      writeSync(this.fd, this.pending);
    } catch (error) {
      this.error = error as Error;
      // What did not reach the file is dropped (memory stays bounded) and counted.
      this.lost += this.pendingKeys;
    }
    this.pending = '';
    this.pendingKeys = 0;
  }

  /** Flushes and closes; returns what went wrong writing the file, if anything (never throws). */
  async close(): Promise<string | undefined> {
    this.flush();
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch (error) {
        this.error ??= error as Error;
      }
    }
    this.fd = undefined;
    if (!this.error) return undefined;
    const code = (this.error as NodeJS.ErrnoException).code ?? this.error.message;
    return `--failed-keys ${this.path}: writing failed (${code}): ${this.lost} of the ${this.count} keys not written are not listed there`;
  }
}
