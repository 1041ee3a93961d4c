import { STRATEGY_NAMES, type StrategyName, type Strategy } from '../types.js';
import { createCoalesce, none } from './basic.js';
import { earlySimple, lockXfetch, xfetch } from './early.js';
import { lock } from './lock.js';
import { swr } from './swr.js';
import { createBreakerStrategy } from './breaker.js';

export { lockKeyOf } from './lock.js';
export { breakerDurations } from './breaker.js';
export { versionKeyOf } from './common.js';
export { withL1, type L1Settings } from './l1.js';
export { xfetchDecides, earlySimpleDecides } from './early.js';

/** A fresh strategy instance: call once per process (coalesce keeps per-process state). */
export function createStrategy(name: StrategyName): Strategy {
  switch (name) {
    case 'none':
      return none;
    case 'coalesce':
      return createCoalesce();
    case 'lock':
      return lock;
    case 'xfetch':
      return xfetch;
    case 'early-simple':
      return earlySimple;
    case 'swr':
      return swr;
    case 'lock+xfetch':
      return lockXfetch;
    case 'breaker':
    case 'breaker+coalesce':
      return createBreakerStrategy(name);
    case 'versioned':
      // The lock's protocol; what differs is the write-back (settings.versionedWrites).
      return { ...lock, name: 'versioned' };
  }
}

export function isStrategyName(text: string): text is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(text);
}
