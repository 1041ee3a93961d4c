import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/herd/types.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export const wallClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};
