/**
 * The connection's socket, borrowed from node-postgres for one statement (a COPY, a fetch read as
 * offsets): the driver's own 'data' listener is taken off and ours put on, and at the end the
 * driver's goes back with the bytes it has not seen, so it parses what follows (CommandComplete,
 * ReadyForQuery, an error) as for any query.
 */
import type { Readable } from 'node:stream';

export class SocketLoan {
  private driver: ((chunk: Buffer) => void) | undefined;

  constructor(
    readonly stream: Readable,
    private readonly ours: (chunk: Buffer) => void,
    what: string,
  ) {
    const listeners = stream.listeners('data') as ((chunk: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error(`${what}: the connection has ${listeners.length} data listeners, expected the driver's one`);
    this.driver = listeners[0] as (chunk: Buffer) => void;
    stream.removeListener('data', this.driver);
    stream.on('data', ours);
  }

  /** Whether the socket is still ours. */
  get held(): boolean {
    return this.driver !== undefined;
  }

  /** Bytes for the driver's parser while the socket is still ours (messages passed through). */
  pass(bytes: Buffer): void {
    this.driver?.(bytes);
  }

  /** The socket back to the driver, then `unread` to its parser; false if it was already back. */
  giveBack(unread: Buffer): boolean {
    const driver = this.driver;
    if (!driver) return false;
    this.driver = undefined;
    this.stream.removeListener('data', this.ours);
    this.stream.on('data', driver);
    if (unread.length > 0) driver(unread);
    return true;
  }
}
