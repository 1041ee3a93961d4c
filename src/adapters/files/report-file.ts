/**
 * The files a run leaves for people and plotters: the HTML report page (--report) and the
 * HdrHistogram logs (--hdr-out). Their paths are checked before the run starts, by creating
 * (and removing) the file for real, so a typo costs one line instead of a finished drill.
 */
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderHistogramLog, renderPercentileDistribution } from '../../core/herd/latency-log.js';
import type { StrategyReport } from '../../core/herd/stats.js';

function reason(error: unknown, path: string): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return `the directory ${dirname(path)} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EEXIST':
      return 'it exists and is not a directory';
    case 'EROFS':
      return 'read-only file system';
    default:
      return e.message ?? String(error);
  }
}

/** The absolute path of a file the run will write, after checking it can be written. */
export async function checkWritableFile(path: string, flag: string, cwd: string): Promise<string> {
  const absolute = resolve(cwd, path);
  try {
    const existing = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (existing?.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    const handle = await open(absolute, existing ? 'r+' : 'wx');
    await handle.close();
    if (!existing) await rm(absolute, { force: true });
  } catch (error) {
    throw new UsageError(`${flag}: cannot write ${absolute}: ${reason(error, absolute)}`);
  }
  return absolute;
}

/** The absolute path of a directory the run will write files into, created when missing. */
export async function checkWritableDir(path: string, flag: string, cwd: string): Promise<string> {
  const absolute = resolve(cwd, path);
  try {
    await mkdir(absolute, { recursive: true });
    await checkWritableFile(join(absolute, '.cachectl-write-check'), flag, cwd);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${flag}: cannot write into ${absolute}: ${reason(error, absolute)}`);
  }
  return absolute;
}

export async function writeReportPage(path: string, html: string): Promise<void> {
  await writeFileAtomic(path, html);
}

/**
 * One interval log (`<strategy>.hlog`) and one percentile distribution (`<strategy>.hgrm`) per
 * strategy; returns the files written.
 */
export async function writeHdrLogs(dir: string, reports: readonly StrategyReport[], describe: (strategy: string) => string): Promise<string[]> {
  const written: string[] = [];
  for (const r of reports) {
    const intervals = r.latencyLog ?? [];
    const base = join(dir, r.strategy.replace(/[^A-Za-z0-9+_-]/g, '_'));
    await writeFileAtomic(`${base}.hlog`, renderHistogramLog(intervals, describe(r.strategy)));
    await writeFileAtomic(`${base}.hgrm`, renderPercentileDistribution(intervals));
    written.push(`${base}.hlog`, `${base}.hgrm`);
  }
  return written;
}
