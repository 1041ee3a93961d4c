/**
 * A key list written as it is found (warm's --failed-keys, inspect drift's --drifted-keys): one
 * key per line with a comment after a TAB, so `cachectl warm --keys` reads the file as it is.
 * Lines are buffered and written synchronously in chunks of up to 64 KiB (and, where asked, at
 * least every `flushEveryMs`): memory stays bounded however many keys are listed (an async stream
 * would queue them all when the disk is slower than the run), and the file is current while the
 * run goes (tail -f, CI). The header is written when the file is opened, before the run changes
 * anything: a path that cannot be written (or a full disk, /dev/full) is caught up front. A write
 * that fails later is never thrown into the run: what could not be listed is counted, and
 * `close()` says so.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { hasControlChars, replaceControlChars } from '../../core/text.js';

const FLUSH_AT = 64 * 1024;

export interface KeyListFileOptions {
  /** What the file is, for the error message ("the failed-keys file"). */
  what: string;
  /** Added to the message when the header cannot be written (a full disk). */
  headerFailNote?: string;
  /** Flush at least this often, so the file is current during a long run. */
  flushEveryMs?: number;
}

/** A write that failed after the file was opened: the error code and how many keys are not listed. */
export interface KeyListFileFailure {
  code: string;
  lost: number;
}

export class KeyListFile {
  private pending = '';
  private pendingKeys = 0;
  private fd: number | undefined;
  private error: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  count = 0;
  /** Keys not listed because the file could not be written. */
  lost = 0;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly flushEveryMs: number | undefined,
  ) {
    this.fd = fd;
  }

  /** Opens (truncates) the file and writes its header; a bad path is an input error naming it. */
  static open(file: string, cwd: string, header: string, options: KeyListFileOptions): KeyListFile {
    const path = resolve(cwd, file);
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new InputError(`cannot write ${options.what} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { file });
    }
    try {
      writeSync(fd, `# ${header}\n`);
    } catch (error) {
      closeSync(fd);
      throw new InputError(`cannot write ${options.what} (${(error as NodeJS.ErrnoException).code ?? 'error'})${options.headerFailNote ?? ''}`, { file });
    }
    return new KeyListFile(path, fd, options.flushEveryMs);
  }

  /**
   * Lists one key. A key with control characters cannot be a key-list line, nor can the rendering
   * of a line that was not a key (`asComment`): those are written as comments.
   */
  add(key: string, comment: string, asComment = false): void {
    this.count++;
    if (this.error) {
      this.lost++;
      return;
    }
    const line = asComment ? `# ${key}` : hasControlChars(key) ? `# ${JSON.stringify(key)}` : key;
    this.pending += `${line}\t# ${replaceControlChars(comment)}\n`;
    this.pendingKeys++;
    if (this.pending.length >= FLUSH_AT) this.flush();
    else if (this.flushEveryMs !== undefined && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushEveryMs);
      this.timer.unref();
    }
  }

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
  close(): KeyListFileFailure | undefined {
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
    return { code: (this.error as NodeJS.ErrnoException).code ?? this.error.message, lost: this.lost };
  }
}
