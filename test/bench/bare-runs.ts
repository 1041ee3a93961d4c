/**
 * The bare warms (bare-warm.ts, bare-keylist.ts) as the bench runs them: bundled once with
 * esbuild into node_modules/.cache (where `pg` resolves), then run as cachectl is (runNodeScript)
 * on the same rows into the same cluster, so their CPU per key is the floor beside cachectl's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { runNodeScript } from './measure.js';
import { FETCH_SQL, STREAM_SQL } from './dataset.js';
import type { WarmRun, WarmSource } from './cachectl-runs.js';
import type { Topology } from './servers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = join(root, 'node_modules', '.cache', 'cachectl-bench');
const TTL_MS = '3600000';

export function buildBareWarms(): void {
  mkdirSync(outDir, { recursive: true });
  for (const name of ['bare-warm', 'bare-keylist'])
    buildSync({
      entryPoints: [join(root, 'test', 'bench', `${name}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['pg'],
      logLevel: 'warning',
      outfile: join(outDir, `${name}.mjs`),
    });
}

/** A bare warm into the cluster, streamed or by the key list; throws unless every key was written. */
export async function bareWarm(topology: Topology, pgUrl: string, source: WarmSource, expected: number): Promise<WarmRun> {
  const seed = `127.0.0.1:${topology.ports[0]}`;
  const [script, args] =
    source.kind === 'keys'
      ? ['bare-keylist.mjs', [pgUrl, seed, source.file, 'product:', FETCH_SQL, TTL_MS]]
      : ['bare-warm.mjs', [pgUrl, seed, source.sql ?? STREAM_SQL, TTL_MS]];
  const run = await runNodeScript(join(outDir, script), args);
  let written = -1;
  try {
    written = (JSON.parse(run.stdout) as { written: number }).written;
  } catch {
    // reported below
  }
  if (run.code !== 0 || written !== expected) throw new Error(`${script} wrote ${written} of ${expected} keys (exit ${run.code}): ${run.stderr.slice(-400)}`);
  return { ...run, written, perSecond: written / run.seconds };
}
