/**
 * A key list written as it is found (`inspect drift --drifted-keys`): one key per line with a
 * comment after a TAB, so `cachectl warm --keys` reads it as it is. Buffered, written
 * synchronously in chunks: memory stays bounded however many keys are listed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';

const FLUSH_AT = 64 * 1024;

export class KeyListFile {
  private pending: string;
  private fd: number | undefined;
  count = 0;

  private constructor(
    readonly path: string,
    fd: number,
    header: string,
  ) {
    this.fd = fd;
    this.pending = `# ${header}\n`;
  }

  /** Opens (truncates) the file; a bad path is an input error naming it. */
  static open(file: string, cwd: string, header: string): KeyListFile {
    const path = resolve(cwd, file);
    try {
      return new KeyListFile(path, openSync(path, 'w'), header);
    } catch (error) {
      throw new InputError(`cannot write the key list (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { file });
    }
  }

  add(key: string, comment: string): void {
    this.count++;
    // eslint-disable-next-line no-control-regex
    const control = /[\u0000-\u001f\u007f]/g;
    // A key with control characters cannot be a key-list line: it is written as a comment, escaped.
    const line = control.test(key) ? `# ${JSON.stringify(key)}` : key;
    this.pending += `${line}\t# ${comment.replace(control, ' ')}\n`;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined || this.pending === '') return;
    writeSync(this.fd, this.pending);
    this.pending = '';
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
