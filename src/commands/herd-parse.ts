/** Flag parsers shared by the live drill and `herd simulate` (both action files). */
import { DEFAULTS, DURATION_RANGES as R } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import { UsageError } from '../errors.js';
import type { BaseSettings } from '../core/herd/settings.js';
import { STRATEGY_NAMES, type OnLockTimeout, type StrategyName } from '../core/herd/types.js';
import { isStrategyName } from '../core/herd/strategies/index.js';

/** `all` or a comma list; order kept, duplicates dropped. */
export function parseStrategies(text: string): StrategyName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`--strategy: give one or more of ${STRATEGY_NAMES.join(', ')}, or all`);
  if (names.includes('all')) return [...STRATEGY_NAMES];
  for (const n of names) if (!isStrategyName(n)) throw new UsageError(`--strategy: unknown strategy '${n}'; choose from ${STRATEGY_NAMES.join(', ')}, all`);
  return [...new Set(names)] as StrategyName[];
}

export function parseRate(text: string): number {
  const rate = Number(text);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`--rate: '${text}' must be requests per second above 0`);
  return rate;
}

/** `--writes <rate>`: row updates per second during each round (the drill's race and the simulator's). */
export function parseWrites(text: string): number {
  const rate = Number(text);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`--writes: '${text}' must be updates per second above 0`);
  return rate;
}

export function parseBeta(text: string): number {
  const beta = Number(text);
  if (!Number.isFinite(beta) || beta <= 0) throw new UsageError(`--beta: '${text}' must be a number above 0 (1 is the paper's optimum)`);
  return beta;
}

/** The strategy knobs shared by the live drill and the simulator, parsed from their common flags. */
export function strategySettingsFrom(
  flags: {
    ttl: string;
    beta: string;
    lockTtl: string;
    lockWait: string;
    onLockTimeout: OnLockTimeout;
    staleWindow: string;
    breakerThreshold: string;
    breakerTimeout: string;
  },
  ttlJitter: number,
): BaseSettings {
  const d = DEFAULTS.herd;
  return {
    ttlMs: parseDuration(flags.ttl, '--ttl', R.herdTtl),
    ttlJitter,
    beta: parseBeta(flags.beta),
    lockTtlMs: parseDuration(flags.lockTtl, '--lock-ttl', R.herdLockTtl),
    lockWaitMs: parseDuration(flags.lockWait, '--lock-wait', R.herdLockWait),
    lockPollMs: d.lockPollMs,
    lockPollMaxMs: d.lockPollMaxMs,
    onLockTimeout: flags.onLockTimeout,
    staleWindowMs: parseDuration(flags.staleWindow, '--stale-window', R.staleWindow),
    stampedeWindowMs: d.stampedeWindowMs,
    breakerThreshold: parsePositiveInt(flags.breakerThreshold, '--breaker-threshold'),
    breakerTimeoutMs: parseDuration(flags.breakerTimeout, '--breaker-timeout', R.breakerTimeout),
  };
}

/** `--l1 1000:2s`: entries per process and how long each lives. */
export function parseL1(text: string): { size: number; ttlMs: number } {
  const m = /^\s*(\d+)\s*:\s*(\S+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--l1: '${text}' is not SIZE:TTL, e.g. 1000:2s`);
  const size = parsePositiveInt(m[1] as string, '--l1 size');
  if (size > 1_000_000) throw new UsageError(`--l1: ${size} entries is above the bound of 1,000,000`);
  const ttlMs = parseDuration(m[2] as string, '--l1 ttl', R.l1Ttl);
  if (ttlMs <= 0) throw new UsageError('--l1: the TTL must be above 0, e.g. 1000:2s');
  return { size, ttlMs };
}
