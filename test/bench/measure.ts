/**
 * Runs a program as a child process and measures it: wall time always; for cachectl (node) also
 * its peak RSS and CPU seconds, reported by the process itself on exit (rusage-preload.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ChildRun {
  code: number;
  seconds: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in bytes (node children only). */
  peakRss?: number;
  /** User + system CPU seconds (node children only). */
  cpuSeconds?: number;
  /** Of cpuSeconds, what threads other than the main one took: V8's compilers and GC helpers, libuv's pool (Linux). */
  helperCpuSeconds?: number;
}

const preload = fileURLToPath(new URL('./rusage-preload.mjs', import.meta.url));
// CACHECTL_BENCH_BIN: measure another build (e.g. an older checkout's bin/cachectl) with this harness.
// Read at each run, so one harness can alternate builds.
const cachectlBin = (): string => process.env.CACHECTL_BENCH_BIN ?? fileURLToPath(new URL('../../bin/cachectl', import.meta.url));

/** Wall time of any program; stdout is kept only when asked (a scan of a million keys is big). */
export async function runTimed(
  command: string,
  args: string[],
  options: { keepStdout?: boolean; countLines?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildRun & { lines: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  let stdout = '';
  let stderr = '';
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    if (options.countLines) for (const byte of chunk) if (byte === 10) lines++;
    if (options.keepStdout) stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c ?? 1));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { code, seconds, stdout, stderr, lines };
}

/** The node flags on bin/cachectl's `#!/usr/bin/env -S node <flags>` line. */
function binNodeFlags(): string[] {
  const line = readFileSync(cachectlBin(), 'utf8').split('\n')[0] ?? '';
  const m = /^#!\S*env\s+(?:-S\s+)?node\b(.*)$/.exec(line);
  return m ? (m[1] as string).trim().split(/\s+/).filter(Boolean) : [];
}

/** `cachectl <args>` from dist/, with its own rusage; with `cpuProfDir`, also a V8 CPU profile there. */
export function runCachectl(args: string[], options: { cpuProfDir?: string } = {}): Promise<ChildRun> {
  return runNodeScript(cachectlBin(), args, options);
}

/**
 * A node script run as bin/cachectl is (node with the flags of the bin's #! line, as an
 * operator's shell would give them), plus the rusage preload: its wall time, stdout, peak RSS and
 * CPU. The bench's bare warms run this way too, so their figures compare with cachectl's.
 */
export async function runNodeScript(script: string, args: string[], options: { cpuProfDir?: string } = {}): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-bench-rusage-'));
  const file = join(dir, 'rusage.json');
  const prof = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  try {
    const run = await runTimed(process.execPath, [...binNodeFlags(), ...prof, '--import', preload, script, ...args], {
      keepStdout: true,
      env: { ...process.env, BENCH_RUSAGE_FILE: file, NO_COLOR: '1' },
    });
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as { maxRssKiB: number; userUs: number; systemUs: number; helperUs?: number };
      const helpers = r.helperUs !== undefined ? { helperCpuSeconds: r.helperUs / 1e6 } : {};
      return { ...run, peakRss: r.maxRssKiB * 1024, cpuSeconds: (r.userUs + r.systemUs) / 1e6, ...helpers };
    } catch {
      return run;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
