/**
 * The first line of every run that connects: which topology (and database) it chose and where
 * from (a flag, an environment variable, the default), so a shell that still carries an old
 * REDIS_URL or a sandbox's CACHECTL_CLUSTER is visible before anything is written. On stderr,
 * so stdout stays data; the ring file's notes (nutcracker quirks cachectl follows) come after it.
 */
import { redact, shorten } from '../errors.js';
import { describeTarget, type RedisTarget } from '../config/target.js';

export function renderTopology(target: RedisTarget, pg?: { url: string | undefined; source: string }): string {
  const db = pg ? `; PostgreSQL ${pg.url !== undefined ? redact(pg.url) : '(libpq defaults)'} (from ${pg.source})` : '';
  const lines = [shorten(`cachectl: topology: ${redact(describeTarget(target))}${db}`)];
  if (target.kind === 'ring') for (const note of target.spec.pool?.notes ?? []) lines.push(shorten(`cachectl: note: ${redact(note)}`));
  return lines.join('\n') + '\n';
}
