/**
 * How the tests launch the sandbox's server recipes: as children of the test process (not
 * detached), so a stop can wait for the exit event, and every one is killed when the test
 * process exits, as a last resort.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnLogged, type Launch } from '../../src/adapters/sandbox/processes.js';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A launcher for one process; `child()` is that process once launched, `started()` the same after a launch that succeeded. */
export function childLauncher(): { launch: Launch; child(): ChildProcess | undefined; started(): ChildProcess } {
  let started: ChildProcess | undefined;
  return {
    async launch(spec) {
      const { identity, child } = await spawnLogged(spec, { detached: false });
      started = child;
      live.add(child);
      child.once('exit', () => live.delete(child));
      return identity;
    },
    child: () => started,
    started() {
      if (!started) throw new Error('the process was not launched');
      return started;
    },
  };
}

/** Signals the child and resolves on its exit event (at once if it is already gone). */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
