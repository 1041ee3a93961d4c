/**
 * Server processes: started detached by the sandbox (and stopped later by pid) or as children by
 * the tests, through the same spawn and the same identity checks. A pid alone is not
 * proof: after a reboot or a crash the number may belong to someone else's process, so every
 * process is recorded with its command line and start time and checked before any signal.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ProcessIdentity, StopOutcome } from '../../core/sandbox/types.js';

export type { ProcessIdentity, StopOutcome };

export interface LaunchSpec {
  command: string;
  args: string[];
  /** stdout and stderr are appended here, so a failed start can be explained. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * How a server recipe starts its process: the sandbox detaches it (spawnDetached), the tests
 * keep it as a child they can wait on. Either way the recipe gets the identity it watches.
 */
export type Launch = (spec: LaunchSpec) => Promise<ProcessIdentity>;

export class SpawnFailedError extends Error {
  constructor(
    readonly command: string,
    readonly errno: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts `spec` with its output appended to its log file; `detached` puts it in its own session.
 * Resolves once the OS confirms the spawn (or rejects on ENOENT).
 */
export async function spawnLogged(spec: LaunchSpec, options: { detached: boolean }): Promise<{ identity: ProcessIdentity; child: ChildProcess }> {
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: options.detached,
      stdio: ['ignore', log, log],
      cwd: spec.cwd,
      env: spec.env ?? process.env,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new SpawnFailedError(spec.command, error.code, `cannot start ${spec.command}: ${error.code === 'ENOENT' ? 'not found on PATH' : error.message}`),
        ),
      );
    });
    const pid = child.pid;
    if (pid === undefined) throw new SpawnFailedError(spec.command, undefined, `cannot start ${spec.command}: no pid`);
    return { identity: readIdentity(pid) ?? { pid, command: spec.command, startTime: '' }, child };
  } finally {
    closeSync(log);
  }
}

/** A process with no tie to this one: it survives the CLI exiting and the terminal closing. */
export const spawnDetached: Launch = async (spec) => {
  const { identity, child } = await spawnLogged(spec, { detached: true });
  child.unref();
  return identity;
};

/** The identity of a running pid, or undefined when no such process exists. */
export function readIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 is "(comm)" and may contain spaces; fields after the last ')' are space-separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined; // a zombie is gone for our purposes
    return { pid, command: comm, startTime: rest[19] ?? '' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && procAvailable()) return undefined;
    return readIdentityWithPs(pid);
  }
}

function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

/** macOS and other systems without /proc. */
function readIdentityWithPs(pid: number): ProcessIdentity | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'stat=,lstart=,comm=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    if (!out || out.startsWith('Z')) return undefined;
    const parts = out.split(/\s+/);
    const comm = parts.slice(6).join(' ');
    return { pid, command: comm.split('/').pop() ?? comm, startTime: parts.slice(1, 6).join(' ') };
  } catch {
    return undefined;
  }
}

/** True when `pid` is still the very process that was recorded (same program, same start). */
export function isSameProcess(recorded: ProcessIdentity): boolean {
  const now = readIdentity(recorded.pid);
  if (!now) return false;
  if (recorded.startTime && now.startTime !== recorded.startTime) return false;
  // comm is truncated to 15 characters by the kernel.
  return now.command === recorded.command || recorded.command.startsWith(now.command) || now.command.startsWith(recorded.command.slice(0, 15));
}

/**
 * SIGTERM, wait up to `graceMs` for the process to go, then SIGKILL. Never signals a pid
 * that is no longer the recorded process.
 */
export async function stopProcess(recorded: ProcessIdentity, graceMs = 10_000): Promise<StopOutcome> {
  if (!readIdentity(recorded.pid)) return 'already-gone';
  if (!isSameProcess(recorded)) return 'not-ours';
  signal(recorded.pid, 'SIGTERM');
  if (await waitGone(recorded, graceMs)) return 'stopped';
  if (!isSameProcess(recorded)) return 'stopped';
  signal(recorded.pid, 'SIGKILL');
  await waitGone(recorded, 5_000);
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Polls: a process that is not our child gives no exit event to wait on. */
async function waitGone(recorded: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isSameProcess(recorded)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isSameProcess(recorded);
}

/**
 * Whether `pid` itself listens on TCP `port` (Linux: its socket inodes against /proc/net/tcp*).
 * A probe that gets an answer on the port proves nothing when two sandboxes race for it; this
 * does. Undefined where /proc cannot tell (other systems).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .filter((link) => link.startsWith('socket:['))
        .map((link) => link.slice(8, -1)),
    );
  } catch {
    // No such process (it lost the race and exited) is a clear no; only a system without /proc is "cannot tell".
    return procAvailable() ? false : undefined;
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port (hex), f[3] state (0A = LISTEN), f[9] inode
      if (f.length < 10 || f[3] !== '0A') continue;
      if (parseInt(f[1]?.split(':')[1] ?? '', 16) === port && inodes.has(f[9] as string)) return true;
    }
  }
  return false;
}
