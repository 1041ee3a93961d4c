/**
 * --failed-keys FILE: every key that was not written, one per line, as `key<TAB># kind: reason`.
 * A key list reader stops a key at the TAB, so the file can be fed back with --keys.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { once } from 'node:events';
import type { WarmEventListener } from '../core/warm/events.js';
import { InputError } from '../errors.js';

export class FailedKeysFile {
  private readonly stream: WriteStream;
  private error: Error | undefined;
  count = 0;

  private constructor(
    readonly path: string,
    stream: WriteStream,
  ) {
    this.stream = stream;
    stream.on('error', (error) => {
      this.error = error;
    });
  }

  /** Opens (truncates) the file before the warm starts, so a bad path is caught early. */
  static async open(file: string, cwd: string): Promise<FailedKeysFile> {
    const path = resolve(cwd, file);
    const stream = createWriteStream(path, { flags: 'w' });
    try {
      await once(stream, 'open');
    } catch (error) {
      throw new InputError(`cannot write the failed-keys file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { file });
    }
    const out = new FailedKeysFile(path, stream);
    out.stream.write('# keys not written by cachectl warm: key<TAB># kind: reason (feed back with --keys)\n');
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
    this.stream.write(`${key}\t# ${event.kind}: ${reason}${event.line !== undefined ? ` (line ${event.line})` : ''} [${event.entry}]\n`);
  };

  async close(): Promise<void> {
    this.stream.end();
    if (!this.stream.closed) await once(this.stream, 'close').catch(() => undefined);
    if (this.error) throw new InputError(`writing the failed-keys file failed: ${this.error.message}`, { file: this.path });
  }
}
