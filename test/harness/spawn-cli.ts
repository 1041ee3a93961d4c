/**
 * Runs the CLI from source in a child process, for what only a real process has: pipes that close
 * (`| head -1`), signals. The child runs src/cli.ts as bin/cachectl runs dist/cli.cjs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function spawnCli(args: string[], options: { cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: options.cwd ?? ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnv(),
  });
}

/** The test runner's own variables would make the child talk the runner's protocol on stdout. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Reads the child's stdout up to its first line, then closes the pipe as `head -1` does. */
export function headOne(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const stdout = child.stdout;
    if (!stdout) return reject(new Error('no stdout pipe'));
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        stdout.destroy();
        resolve(text.slice(0, nl));
      }
    });
    child.once('exit', () => resolve(text));
  });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

export function collect(stream: NodeJS.ReadableStream | null | undefined): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}
