/**
 * The machine's own limits, measured in the same run on the same data:
 * - PostgreSQL producing the rows: `COPY (SELECT key, value ...) TO STDOUT`, drained by psql to
 *   /dev/null (psql is PostgreSQL's own client; nothing parses the rows);
 * - Redis accepting them: `redis-benchmark -P 64 -t set -d 180` on one node, and on every node of a
 *   3-node topology at once (the sum of their rates).
 */
import { runTimed } from './measure.js';

export interface Rate {
  keys: number;
  seconds: number;
  perSecond: number;
}

export async function pgCopyRate(url: string, copySql: string, rows: number): Promise<Rate> {
  // One pass first so the table is in the buffer cache for both COPY and the warms after it.
  await runTimed('psql', [url, '-Atq', '-c', copySql]);
  const run = await runTimed('psql', [url, '-Atq', '-c', copySql], { countLines: true });
  if (run.code !== 0) throw new Error(`psql COPY failed: ${run.stderr}`);
  if (run.lines !== rows) throw new Error(`COPY returned ${run.lines} rows, expected ${rows}`);
  return { keys: rows, seconds: run.seconds, perSecond: rows / run.seconds };
}

/**
 * One redis-benchmark per port, all at once; the rate is the sum of what each reports. With
 * `ttlMs`, the command is `SET key value PX ttl` (what warm writes) instead of `-t set`: keeping
 * an expiry costs Redis a second dictionary entry per key, which shows in its CPU per key.
 */
export async function redisSetRate(ports: number[], requestsPerNode: number, valueBytes = 180, ttlMs?: number): Promise<Rate & { perNode: number[] }> {
  const started = process.hrtime.bigint();
  const command = ttlMs === undefined ? ['-t', 'set', '-d', String(valueBytes)] : ['SET', 'key:__rand_int__', 'v'.repeat(valueBytes), 'PX', String(ttlMs)];
  const runs = await Promise.all(
    ports.map((port) =>
      runTimed(
        'redis-benchmark',
        ['-h', '127.0.0.1', '-p', String(port), '-P', '64', '-n', String(requestsPerNode), '-r', '10000000', '-q', '--csv', ...command],
        { keepStdout: true },
      ),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perNode = runs.map((r) => {
    const m = /^"SET[^"]*","([\d.]+)"/m.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`redis-benchmark failed: ${r.stderr || r.stdout}`);
    return Number(m[1]);
  });
  return { keys: requestsPerNode * ports.length, seconds, perSecond: perNode.reduce((a, b) => a + b, 0), perNode };
}
