/** What `herd --url` measured of a running application, and what PostgreSQL saw meanwhile. */
import type { LatencySummary } from './stats.js';

export interface DatabaseLoad {
  peakActiveQueries: number;
  samples: number;
  /** Statements executed in this database meanwhile (pg_stat_statements); null when not installed. */
  statements: number | null;
}

export interface HttpDrillResult {
  url: string;
  invalidated: string;
  clients: number;
  rounds: number;
  requests: number;
  statuses: Record<string, number>;
  latency: LatencySummary;
  errors: number;
  timeouts: number;
  releaseSkewMs: number;
  /** What the database saw during the herds (null without --pg). */
  database: DatabaseLoad | null;
  errorMessages: { message: string; count: number }[];
  interrupted: boolean;
}
