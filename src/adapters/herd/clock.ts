import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/herd/types.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export const wallClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
