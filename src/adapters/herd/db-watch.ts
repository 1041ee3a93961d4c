/**
 * What PostgreSQL saw during an HTTP drill, where the application's SQL cannot be tagged:
 * the peak number of queries running at once in the database (pg_stat_activity, sampled every
 * 10ms: a lower bound, a query shorter than that can slip between samples) and, when
 * pg_stat_statements is installed, the exact number of statements it executed meanwhile.
 * Table and database statistics are left out on purpose: backends flush them lazily (up to
 * seconds late), so a delta over a short herd would be wrong.
 */
import type pg from 'pg';
import type { DatabaseLoad } from '../../core/herd/http-result.js';

export type { DatabaseLoad } from '../../core/herd/http-result.js';

export class DatabaseWatch {
  private timer?: NodeJS.Timeout;
  private peak = 0;
  private samples = 0;
  private baseline: number | null = null;
  private sampling = false;
  private stopped?: Promise<DatabaseLoad>;

  constructor(private readonly pool: pg.Pool) {}

  async start(): Promise<void> {
    this.baseline = await this.statementCalls();
    this.timer = setInterval(() => void this.sample(), 10);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const { rows } = await this.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'cachectl-herd-%'",
      );
      this.peak = Math.max(this.peak, Number(rows[0]?.n ?? 0));
      this.samples++;
    } catch {
      // a missed sample is only a missed sample
    } finally {
      this.sampling = false;
    }
  }

  private async statementCalls(): Promise<number | null> {
    try {
      const { rows } = await this.pool.query<{ calls: string | null }>(
        'SELECT sum(calls) AS calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
      );
      return Number(rows[0]?.calls ?? 0);
    } catch {
      return null;
    }
  }

  stop(): Promise<DatabaseLoad> {
    this.stopped ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      const after = this.baseline === null ? null : await this.statementCalls();
      // Our own two queries (baseline and this one) are not the application's.
      const statements = this.baseline === null || after === null ? null : Math.max(0, after - this.baseline - 1 - this.samples);
      return { peakActiveQueries: this.peak, samples: this.samples, statements };
    })();
    return this.stopped;
  }
}
