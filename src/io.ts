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
