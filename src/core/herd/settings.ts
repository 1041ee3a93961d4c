import type { StrategyName, StrategySettings } from './types.js';

/** The settings one strategy runs with: swr always keeps the stale copy, lock when it may serve it. */
export function settingsFor(strategy: StrategyName, base: Omit<StrategySettings, 'keepStale'>): StrategySettings {
  const keepStale = strategy === 'swr' || ((strategy === 'lock' || strategy === 'lock+xfetch') && base.onLockTimeout === 'stale');
  return { ...base, keepStale };
}
