/**
 * The live drill's shapes, independent of what carries them out: what to drill (DrillSpec),
 * what a worker is asked and answers per round, the progress events and the result that the
 * reporters render.
 */
import type { Colocation } from './colocation.js';
import type { BaseSettings } from './settings.js';
import type { L1Settings } from './strategies/index.js';
import type { OriginCountSource, StrategyReport } from './stats.js';
import type { RoundOutput } from './round.js';
import type { RankedStrategy } from './ranking.js';
import type { BreakerLog, StrategyName, StrategySettings } from './types.js';

export type Trigger = 'delete' | 'pexpire' | 'ttl' | 'outage';

export interface OutageOptions {
  mode: 'pause' | 'refuse';
  durationMs: number;
  /** From the release to the start of the outage. */
  leadMs: number;
  /** Allow pausing a node that other clients use. */
  yes: boolean;
}

export interface RaceOptions {
  ratePerSec: number;
  invalidate: 'delete' | 'set';
  /** The operator's UPDATE ($1 the key's id); absent: a scratch table. */
  updateSql?: string;
  versionColumn: string;
}

/** What the engine needs to know about the drill: the flags, none of the connections. */
export interface DrillSpec {
  keys: string[];
  /** Total virtual clients over all processes. */
  clients: number;
  processes: number;
  rounds: number;
  strategies: StrategyName[];
  trigger: Trigger;
  /** pexpire/ttl: how far ahead the keys expire. */
  expireInMs: number;
  /** Requests spread uniformly over this window after the release (0: all at once). */
  spreadMs: number;
  /** Write the keys before each round (false: use what `cachectl warm` or the application left there). */
  prime: boolean;
  /** Open loop instead of a herd: Poisson arrivals across natural expiries. */
  openLoop?: { ratePerSec: number; durationMs: number; maxRequests: number };
  dbDelayMs: number;
  seed: number;
  settings: BaseSettings;
  /** --trigger outage: how the node goes away, and the reads sent across it. */
  outage?: OutageOptions & { ratePerSec: number; windowMs: number };
  /** --writes: the invalidation race. */
  race?: RaceOptions;
  /** --l1: a bounded LRU per process in front of Redis. */
  l1?: L1Settings;
}

export interface ArmRequest {
  strategy: StrategyName;
  settings: StrategySettings;
  seed: number;
  round: number;
  /** [local client index, key index, offset in ms after the release] per request. */
  requests: [number, number, number][];
}

export interface WorkerRoundResult extends RoundOutput {
  worker: number;
  originSent: number;
  /** [start, end, key] (wall-clock ms) of every fetch this worker sent, to group them into refresh episodes. */
  fetchSpans: [number, number, string][];
  /** How long each fetch of the round waited for a connection of its process's pool (ms), failed waits included. */
  poolWaitsMs: number[];
  /** This process's breaker over the round (breaker strategies). */
  breaker?: BreakerLog;
  /** When the round's last read finished. */
  endedAt: number;
}

export type DrillEvent =
  | { type: 'connected'; clients: number; processes: number; originSource: OriginCountSource }
  | { type: 'round'; strategy: StrategyName; round: number; originQueries: number; skewMs: number }
  | { type: 'warning'; message: string };

/** What the drill found out about the database serving the origin queries. */
export interface DatabaseFacts {
  version: string;
  /** PGlite (PostgreSQL in WebAssembly, as the sandbox embeds it), or a server. */
  kind: 'pglite' | 'server';
  /** True when every connection shares one session, so the database runs one query at a time. */
  oneQueryAtATime: boolean;
  /** How many connections the database takes (null: unknown). */
  maxConnections: number | null;
  /** The drill's own connections at most: every process's pool plus the coordinator's. */
  drillConnections: number;
  /** What this database does to the figures (absent: nothing to say). */
  caveat?: string;
}

export interface DrillResult {
  runId: string;
  mode: 'herd' | 'open';
  key: string;
  keyCount: number;
  topology: string;
  trigger: Trigger | 'natural';
  clients: number;
  processes: number;
  rounds: number;
  seed: number;
  dbDelayMs: number;
  ttlJitter: number;
  openLoop?: { ratePerSec: number; durationMs: number; requests: number };
  originSource: OriginCountSource;
  colocation: Colocation[];
  reports: StrategyReport[];
  /** The strategies by what the database paid (the run's origin queries), fewest first. */
  ranking: RankedStrategy[];
  warnings: string[];
  interrupted: boolean;
  /** The database behind the origin queries (absent when the drill stopped before asking). */
  database?: DatabaseFacts;
  /** --trigger outage: the node taken away and how. */
  outage?: { node: string; mode: 'pause' | 'refuse'; durationMs: number; ratePerSec: number; windowMs: number };
}
