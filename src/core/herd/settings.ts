import type { StrategyName, StrategySettings } from './types.js';

/** What the flags give; settingsFor adds what follows from the strategy. */
export type BaseSettings = Omit<StrategySettings, 'keepStale' | 'versionedWrites'>;

/**
 * The settings one strategy runs with: swr always keeps the stale copy, lock when it may serve
 * it; versioned writes through its compare-and-set (and keeps no stale copy).
 */
export function settingsFor(strategy: StrategyName, base: BaseSettings): StrategySettings {
  const keepStale = strategy === 'swr' || ((strategy === 'lock' || strategy === 'lock+xfetch') && base.onLockTimeout === 'stale');
  return { ...base, keepStale, versionedWrites: strategy === 'versioned' };
}
