/** Runs the CLI in-process, exactly as bin/cachectl does, and captures what it prints. */
import { Readable } from 'node:stream';
import { run } from '../../src/cli.js';
import { StringSink } from '../../src/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  /** stdin: the whole input, or a stream the test writes to while the command runs. */
  options: { env?: NodeJS.ProcessEnv; stdin?: string | Readable; cwd?: string; signal?: AbortSignal; tty?: boolean; stdoutTty?: boolean } = {},
): Promise<CliResult> {
  const stdout = new StringSink();
  const stderr = new StringSink();
  stderr.isTTY = options.tty ?? false;
  stdout.isTTY = options.stdoutTty ?? false;
  const env = { ...options.env };
  const code = await run(['node', 'cachectl', ...args], {
    stdout,
    stderr,
    stdin: options.stdin instanceof Readable ? options.stdin : Readable.from(options.stdin !== undefined ? [options.stdin] : []),
    env,
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** stderr without the run's own header lines (the topology it chose, a ring file's notes): what a refusal or a problem says. */
export function problemText(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^cachectl: (topology|note): /.test(line))
    .join('\n');
}
