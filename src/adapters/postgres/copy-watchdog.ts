/**
 * The statement timeout for a streamed COPY. Through a cursor, the timeout bounded each read of
 * --batch-size rows; a COPY is one statement, so PostgreSQL's own timeout would bound the whole
 * stream instead. The watchdog keeps the cursor's meaning: every `rowsPerWindow` rows must be
 * produced within `timeoutMs`, or the COPY is cancelled.
 *
 * Rows are counted where they are produced when the server says (pg_stat_progress_copy,
 * PostgreSQL 14+): the server holds small rows in its send buffer, so a slow but steady query
 * can be silent on the socket for longer than the timeout. Elsewhere rows received count.
 * Time counts only while cachectl waits for rows: a server blocked on a full socket, because
 * cachectl is busy writing to Redis, is not stalled.
 */
import type pg from 'pg';

export class CopyWatchdog {
  private markTuples = 0;
  private receivedSinceMark = 0;
  private waitedMs = 0;
  private progressView = true;
  /** Set once the watchdog cancelled the COPY. */
  stalled = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly pid: number | undefined,
    private readonly rowsPerWindow: number,
    private readonly timeoutMs: number,
  ) {}

  /** Rows that arrived. */
  received(rows: number): void {
    this.receivedSinceMark += rows;
    if (this.receivedSinceMark >= this.rowsPerWindow) this.mark(this.markTuples + this.receivedSinceMark);
  }

  /** Awaits a read; cancels the COPY (and lets the read fail) when the window runs out. */
  async guard<T>(read: Promise<T>): Promise<T> {
    if (this.timeoutMs <= 0 || this.pid === undefined) return read;
    for (;;) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), Math.max(1, this.timeoutMs - this.waitedMs));
      });
      const outcome = await Promise.race([read.then(() => 'read' as const), expired]).finally(() => clearTimeout(timer));
      this.waitedMs += Date.now() - started;
      if (outcome === 'read') return read;
      const produced = await this.serverTuples();
      if (produced !== undefined && produced - this.markTuples >= this.rowsPerWindow) {
        // Produced, but still in the server's send buffer: progress, a new window.
        this.mark(produced);
        continue;
      }
      this.stalled = true;
      await cancelBackend(this.pool, this.pid);
      return read;
    }
  }

  private mark(tuples: number): void {
    this.markTuples = tuples;
    this.receivedSinceMark = 0;
    this.waitedMs = 0;
  }

  /** Rows the COPY has produced so far, by the server's progress view; undefined without one. */
  private async serverTuples(): Promise<number | undefined> {
    if (!this.progressView) return undefined;
    try {
      const r = await this.pool.query<{ n: string }>('SELECT tuples_processed::text AS n FROM pg_stat_progress_copy WHERE pid = $1', [this.pid]);
      return r.rows[0] ? Number(r.rows[0].n) : undefined;
    } catch {
      // PostgreSQL before 14, or a server without the view: rows received are the measure.
      this.progressView = false;
      return undefined;
    }
  }
}

/** Asks the server to cancel what backend `pid` is running (the COPY); failures are ignored. */
export async function cancelBackend(pool: pg.Pool, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  await pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
}
