/** Writes `--metrics-file` atomically, carrying over what must survive from the previous file. */
import { readFile } from 'node:fs/promises';
import { renderMetrics, type WarmlistRunMetrics } from '../../core/run/metrics.js';
import { writeFileAtomic } from './atomic-write.js';

export async function writeMetricsFile(path: string, runs: readonly WarmlistRunMetrics[]): Promise<void> {
  let previous: string | undefined;
  try {
    previous = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFileAtomic(path, renderMetrics(runs, previous));
}
