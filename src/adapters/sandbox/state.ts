/**
 * The sandbox's record of what it started: one JSON file in the sandbox directory, written
 * after every process starts (so `down` can clean up even after a failed `up`), plus a lock
 * file so two `up`s cannot race.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LockedError } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import { readIdentity } from './processes.js';
import type { SandboxPostgres, SandboxProcess, SandboxRole, SandboxState } from '../../core/sandbox/types.js';

export type { SandboxPostgres, SandboxProcess, SandboxRole, SandboxState };

/** --dir, else CACHECTL_SANDBOX_DIR, else .cachectl/sandbox under the current directory. */
export function resolveSandboxDir(flagDir: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, flagDir ?? env.CACHECTL_SANDBOX_DIR ?? DEFAULTS.sandbox.dir);
}

export function stateFile(dir: string): string {
  return join(dir, 'sandbox.json');
}

export function readState(dir: string): SandboxState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
  if (parsed.version !== 1) throw new Error(`${file}: unknown state version ${String(parsed.version)}`);
  return parsed;
}

/** Atomic replace: a reader never sees half a file. */
export function writeState(state: SandboxState): void {
  mkdirSync(state.dir, { recursive: true });
  const file = stateFile(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}

/**
 * Takes the sandbox lock (a file holding our pid). A lock left by a process that is gone is
 * taken over; one held by a live process means another `sandbox` command is running.
 */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'sandbox.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && readIdentity(holder)) {
        throw new LockedError(`another cachectl sandbox command (pid ${holder}) is working in ${dir}; wait for it or remove ${file} if it is stale`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new LockedError(`cannot take the sandbox lock ${file}`);
}
