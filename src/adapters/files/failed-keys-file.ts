/**
 * --failed-keys FILE: every key that was not written, one per line, as `key<TAB># kind: reason`,
 * fed from the warm's `keyFailed` events. A key list reader stops a key at the TAB, so the file
 * can be fed back with --keys. Opened before the warm writes anything: a path that cannot be
 * written is an exit 2 with truly nothing written. A write that fails later is reported by
 * `close()` with how many keys it could not list; the warm then prints its summary and exits 1.
 */
import type { WarmEventListener } from '../../core/warm/events.js';
import { replaceControlChars } from '../../core/text.js';
import { KeyListFile } from './key-list-file.js';

const FLUSH_EVERY_MS = 100;
const HEADER = 'keys not written by cachectl warm: key<TAB># kind: reason (feed back with --keys)';

export class FailedKeysFile {
  private constructor(private readonly file: KeyListFile) {}

  static async open(file: string, cwd: string): Promise<FailedKeysFile> {
    return new FailedKeysFile(
      KeyListFile.open(file, cwd, HEADER, { what: 'the failed-keys file', headerFailNote: '; nothing was written to the cache', flushEveryMs: FLUSH_EVERY_MS }),
    );
  }

  get path(): string {
    return this.file.path;
  }

  get count(): number {
    return this.file.count;
  }

  get lost(): number {
    return this.file.lost;
  }

  listener: WarmEventListener = (event) => {
    if (event.type !== 'keyFailed') return;
    const where = event.line !== undefined ? ` (line ${event.line})` : '';
    this.file.add(event.key, `${event.kind}: ${replaceControlChars(event.reason)}${where} [${event.entry}]`, event.rendered === true);
  };

  /** Flushes and closes; returns what went wrong writing the file, if anything (never throws). */
  async close(): Promise<string | undefined> {
    const failure = this.file.close();
    if (!failure) return undefined;
    return `--failed-keys ${this.file.path}: writing failed (${failure.code}): ${failure.lost} of the ${this.file.count} keys not written are not listed there`;
  }
}
