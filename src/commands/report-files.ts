/** --report and --hdr-out: paths checked before the run starts, files written after it. */
import type { IO } from '../io.js';
import type { DrillResult } from '../core/herd/drill-types.js';
import { checkWritableDir, checkWritableFile, writeHdrLogs, writeReportPage } from '../adapters/files/report-file.js';
import { UsageError } from '../errors.js';

export interface ReportFiles {
  report?: string;
  hdrOut?: string;
}

export async function reportFilesFrom(flags: { report?: string; hdrOut?: string }, io: IO): Promise<ReportFiles> {
  return {
    ...(flags.report !== undefined ? { report: await checkWritableFile(flags.report, '--report', io.cwd) } : {}),
    ...(flags.hdrOut !== undefined ? { hdrOut: await checkWritableDir(flags.hdrOut, '--hdr-out', io.cwd) } : {}),
  };
}

/** Writes the page and logs asked for; returns the lines saying where they went (for stderr). */
export async function writeHerdFiles(files: ReportFiles, result: DrillResult): Promise<string> {
  let notes = '';
  if (files.report !== undefined) {
    const { herdPage } = await import('../reporters/html/herd-page.js');
    await writeReportPage(files.report, herdPage(result));
    notes += `wrote report ${files.report}\n`;
  }
  if (files.hdrOut !== undefined) {
    const written = await writeHdrLogs(
      files.hdrOut,
      result.reports,
      (strategy) => `cachectl herd ${result.key} strategy ${strategy}, run ${result.runId}, ${result.clients} clients`,
    );
    notes += `wrote ${written.length} HdrHistogram files to ${files.hdrOut} (<strategy>.hlog interval logs, <strategy>.hgrm percentile distributions, in ms)\n`;
  }
  return notes;
}

/**
 * inspect --report: one page of one scan. With --watch there is no one scan to chart, so the
 * combination is refused rather than rewriting the page on every tick.
 */
export async function inspectReportFrom(flags: { report?: string; watch?: string | boolean }, io: IO): Promise<string | undefined> {
  if (flags.report === undefined) return undefined;
  if (flags.watch !== undefined)
    throw new UsageError('--report writes the page of one scan and does not combine with --watch: drop --watch (or use --watch --json for every tick)');
  return checkWritableFile(flags.report, '--report', io.cwd);
}
