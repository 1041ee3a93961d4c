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
  options: { env?: NodeJS.ProcessEnv; stdin?: string; cwd?: string; signal?: AbortSignal; tty?: boolean; stdoutTty?: boolean } = {},
): Promise<CliResult> {
  const stdout = new StringSink();
  const stderr = new StringSink();
  stderr.isTTY = options.tty ?? false;
  stdout.isTTY = options.stdoutTty ?? false;
  const env = { ...options.env };
  const code = await run(['node', 'cachectl', ...args], {
    stdout,
    stderr,
    stdin: Readable.from(options.stdin !== undefined ? [options.stdin] : []),
    env,
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
