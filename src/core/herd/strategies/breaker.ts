/**
 * The reference guide's CircuitBreakerCache: closed (use the cache, count consecutive
 * failures), open (bypass the cache and read the database directly), half-open (after the
 * breaker timeout one trial request tries the cache again: success closes, failure re-opens).
 * One breaker per process, as an application instance has one; `breaker+coalesce` also makes
 * every origin read single flight per key in the process, so an open breaker sends the database
 * one query at a time instead of the whole read rate.
 *
 * Unlike the guide's sketch, a success resets the failure count (consecutive failures open
 * it, not failures ever), and only one trial is in flight while half-open: the others keep
 * bypassing, or every request after the timeout would hit the still-dead cache at once.
 */
import type { BreakerLog, BreakerState, CachedValue, Clock, OriginRow, ReadContext, ReadResult, Strategy } from '../types.js';
import { countMiss, entryOf, result, SingleFlight } from './common.js';

export class CircuitBreaker {
  state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private log: BreakerLog = { initial: 'closed', transitions: [] };

  constructor(
    private readonly clock: Clock,
    private readonly threshold: number,
    private readonly timeoutMs: number,
  ) {}

  /** 'cache': go to the cache; 'trial': the half-open probe; 'bypass': straight to the database. */
  admit(): 'cache' | 'trial' | 'bypass' {
    if (this.state === 'closed') return 'cache';
    if (this.state === 'open' && !this.trialInFlight && this.clock.now() - this.openedAt >= this.timeoutMs) {
      this.move('half-open');
      this.trialInFlight = true;
      return 'trial';
    }
    return 'bypass';
  }

  success(trial: boolean): void {
    if (trial) {
      this.trialInFlight = false;
      this.move('closed');
    }
    if (this.state === 'closed') this.failures = 0;
  }

  failure(trial: boolean): void {
    if (trial) {
      this.trialInFlight = false;
      this.open();
      return;
    }
    // Failures of reads sent before the breaker opened change nothing once it is open.
    if (this.state !== 'closed') return;
    if (++this.failures >= this.threshold) this.open();
  }

  drain(): BreakerLog {
    const out = this.log;
    this.log = { initial: this.state, transitions: [] };
    return out;
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.failures = 0;
    this.move('open');
  }

  private move(to: BreakerState): void {
    if (to === this.state) return;
    this.state = to;
    this.log.transitions.push({ at: this.clock.now(), to });
  }
}

export function createBreakerStrategy(name: 'breaker' | 'breaker+coalesce'): Strategy {
  let breaker: CircuitBreaker | undefined;
  // breaker+coalesce: coalesce's single flight, its guard against a miss handled late included.
  const flight = name === 'breaker+coalesce' ? new SingleFlight<OriginRow>() : undefined;

  const fallback = async (ctx: ReadContext): Promise<ReadResult> => {
    const row = await (flight ? (flight.join(ctx.key) ?? flight.start(ctx.key, () => ctx.origin.fetch(ctx.key))) : ctx.origin.fetch(ctx.key));
    if (row.version !== undefined) ctx.observed.version = row.version;
    return result('fallback');
  };

  return {
    name,
    async read(ctx) {
      breaker ??= new CircuitBreaker(ctx.clock, ctx.settings.breakerThreshold, ctx.settings.breakerTimeoutMs);
      const b = breaker;
      const admitted = b.admit();
      if (admitted === 'bypass') return fallback(ctx);
      const trial = admitted === 'trial';
      const readSentAt = ctx.clock.now();
      let entry: CachedValue | null;
      try {
        entry = await ctx.cache.read(ctx.key);
      } catch {
        b.failure(trial);
        return fallback(ctx);
      }
      b.success(trial);
      if (entry) return result('hit');
      let stampedeCount: number | undefined;
      try {
        stampedeCount = await countMiss(ctx);
      } catch {
        // The counter is the drill's, not the application's: its failure is not a cache read failing.
      }
      const started = ctx.clock.now();
      const recomputeAndWrite = async (): Promise<OriginRow> => {
        const row = await ctx.origin.fetch(ctx.key);
        try {
          await ctx.cache.write(ctx.key, entryOf(ctx, row, started), ctx.settings.ttlMs);
          b.success(false);
          flight?.wrote(ctx.key, ctx.clock.now(), row);
        } catch {
          b.failure(false);
        }
        return row;
      };
      const shared = flight?.join(ctx.key, readSentAt);
      const row = await (shared ?? (flight ? flight.start(ctx.key, recomputeAndWrite) : recomputeAndWrite()));
      if (row.version !== undefined) ctx.observed.version = row.version;
      return result(shared ? 'coalesced' : 'miss-recomputed', stampedeCount !== undefined ? { stampedeCount } : {});
    },
    drainBreakerLog() {
      return breaker?.drain() ?? { initial: 'closed', transitions: [] };
    },
  };
}

/** Time spent in each state over [from, to], from a log that starts at or before `from`. */
export function breakerDurations(log: BreakerLog, from: number, to: number): Record<BreakerState, number> {
  const out: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };
  let state = log.initial;
  let since = from;
  for (const t of log.transitions) {
    const at = Math.min(to, Math.max(from, t.at));
    out[state] += at - since;
    state = t.to;
    since = at;
  }
  out[state] += Math.max(0, to - since);
  return out;
}
