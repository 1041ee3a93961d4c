/**
 * The process's outside world, injectable so the CLI runs in-process in tests.
 * Results go to stdout; progress and diagnostics go to stderr.
 */
export interface Writable {
  write(chunk: string): unknown;
  /** True when attached to a terminal: enables progress bars and colour. */
  isTTY?: boolean;
  columns?: number;
}

export interface IO {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM; commands stop starting new work and report what they have. */
  signal: AbortSignal;
}

/** A string sink for tests and for capturing output. */
export class StringSink implements Writable {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/**
 * The process's stdout, for a reader that may go away (`cachectl ring locate - | head -1`):
 * once the pipe is closed (EPIPE), writes are dropped and `onClosed` runs (it stops the command,
 * as SIGPIPE stops a Unix tool), instead of an unhandled 'error' event crashing with a stack.
 * Waiting for 'drain' on a closed pipe returns at once rather than forever.
 */
export class ClosableStdout implements Writable {
  closed = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly onClosed: (error: NodeJS.ErrnoException) => void,
  ) {
    stream.on('error', (error: NodeJS.ErrnoException) => this.close(error));
  }

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  get columns(): number | undefined {
    return this.stream.columns;
  }

  write(chunk: string): boolean {
    if (this.closed) return true;
    try {
      return this.stream.write(chunk);
    } catch (error) {
      this.close(error as NodeJS.ErrnoException);
      return true;
    }
  }

  once(event: 'drain', listener: () => void): this {
    if (this.closed) {
      queueMicrotask(listener);
      return this;
    }
    const done = () => {
      this.waiting.delete(done);
      this.stream.off('drain', done);
      listener();
    };
    this.waiting.add(done);
    this.stream.once(event, done);
    return this;
  }

  private close(error: NodeJS.ErrnoException): void {
    if (this.closed) return;
    this.closed = true;
    for (const resume of [...this.waiting]) resume();
    this.onClosed(error);
  }
}
