/**
 * What a user would pick instead of cachectl, measured on the same rows in the same run:
 * - the shell pipeline an expert writes for one node: PostgreSQL formats each row as a RESP
 *   `SET key value PX ttl` (`psql -At`), piped into `redis-cli --pipe`;
 * - a plain script with the ioredis Cluster client and auto-pipelining, SET ... PX per row from a
 *   pg cursor (peer-ioredis.ts, its own process).
 */
import { fileURLToPath } from 'node:url';
import { runTimed } from './measure.js';
import { STREAM_SQL } from './dataset.js';

export interface PeerRun {
  keys: number;
  seconds: number;
  perSecond: number;
}

/** RESP of `SET key value PX ttl` per row; psql ends each row with \n, the SQL ends it with \r. */
function respSql(ttlMs: number): string {
  const ttl = String(ttlMs);
  return (
    `SELECT '*5' || E'\\r\\n$3\\r\\nSET\\r\\n$' || octet_length(key) || E'\\r\\n' || key || E'\\r\\n$' || octet_length(value) || E'\\r\\n' || value` +
    ` || E'\\r\\n$2\\r\\nPX\\r\\n$${ttl.length}\\r\\n${ttl}\\r' FROM (${STREAM_SQL}) AS q`
  );
}

export async function psqlPipe(pgUrl: string, port: number, expected: number, ttlMs = 3_600_000): Promise<PeerRun> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `set -o pipefail; psql ${quote(pgUrl)} -Atq -c ${quote(respSql(ttlMs))} | redis-cli -h 127.0.0.1 -p ${port} --pipe`;
  const run = await runTimed('bash', ['-c', script], { keepStdout: true });
  const replies = Number(/replies:\s*(\d+)/.exec(run.stdout)?.[1] ?? -1);
  const errors = Number(/errors:\s*(\d+)/.exec(run.stdout)?.[1] ?? -1);
  if (run.code !== 0 || replies !== expected || errors !== 0)
    throw new Error(`psql | redis-cli --pipe: exit ${run.code}, ${replies} replies, ${errors} errors: ${(run.stderr || run.stdout).slice(-400)}`);
  return { keys: expected, seconds: run.seconds, perSecond: expected / run.seconds };
}

export async function ioredisScript(pgUrl: string, seeds: string, expected: number): Promise<PeerRun> {
  const script = fileURLToPath(new URL('./peer-ioredis.ts', import.meta.url));
  const run = await runTimed(process.execPath, ['--import', 'tsx', script, pgUrl, seeds, STREAM_SQL], { keepStdout: true });
  const m = /^written (\d+) in ([\d.]+) s$/m.exec(run.stdout);
  if (run.code !== 0 || !m || Number(m[1]) !== expected) throw new Error(`ioredis script: exit ${run.code}: ${(run.stderr || run.stdout).slice(-400)}`);
  // Its own time from the first row to the last reply (tsx's start-up is not the script's cost).
  const seconds = Number(m[2]);
  return { keys: expected, seconds, perSecond: expected / seconds };
}
