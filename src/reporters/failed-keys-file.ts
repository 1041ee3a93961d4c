/**
 * --failed-keys FILE: every key that was not written, one per line, as `key<TAB># kind: reason`.
 * A key list reader stops a key at the TAB, so the file can be fed back with --keys.
 * Lines are buffered and written synchronously in chunks of up to 64 KiB, and at least every
 * 100 ms: memory stays bounded however many keys fail (an async stream would queue them all when
 * the disk is slower than the warm), and the file is current while the run goes (tail -f, CI).
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
    const out = new FailedKeysFile(path, fd);
    out.pending = '# keys not written by cachectl warm: key<TAB># kind: reason (feed back with --keys)\n';
    return out;
  }

  listener: WarmEventListener = (event) => {
    if (event.type !== 'keyFailed') return;
    this.count++;
    // eslint-disable-next-line no-control-regex
    const reason = event.reason.replace(/[\u0000-\u001f\u007f]/g, ' ');
    // A key with control characters cannot be a key-list line: it is written as a comment, escaped.
    // eslint-disable-next-line no-control-regex
    const key = /[\u0000-\u001f\u007f]/.test(event.key) ? `# ${JSON.stringify(event.key)}` : event.key;
    this.pending += `${key}\t# ${event.kind}: ${reason}${event.line !== undefined ? ` (line ${event.line})` : ''} [${event.entry}]\n`;
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
    }
    this.pending = '';
  }

  async close(): Promise<void> {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.error) throw new InputError(`writing the failed-keys file failed: ${this.error.message}`, { file: this.path });
  }
}
