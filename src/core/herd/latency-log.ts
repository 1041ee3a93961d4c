/**
 * The latency histograms of a drill in HdrHistogram's own exchange formats: interval logs
 * (`.hlog`, read by HistogramLogAnalyzer and HistogramLogProcessor) and the percentile
 * distribution (`.hgrm`, read by hdr-plot and the online HdrHistogram plotter). Values are
 * recorded in microseconds, exactly as the drill's percentiles are, so a log decodes back to
 * the figures of --json.
 */
import hdr from 'hdr-histogram-js';
import type { ReadSample } from './round.js';

export type LatencyHistogram = ReturnType<typeof hdr.build>;

export function newLatencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export function recordLatency(histogram: LatencyHistogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** One interval of the log: the reads intended in [startMs, startMs + 1 s) of one round, and when the last finished. */
export interface LatencyInterval {
  /** Wall clock ms. */
  startMs: number;
  endMs: number;
  /** HdrHistogram's compressed base64 encoding (values in microseconds). */
  histogram: string;
}

/** The points of the latency distribution chart (percentile spectrum). */
export const DISTRIBUTION_PERCENTILES: readonly number[] = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

export interface DistributionPoint {
  percentile: number;
  ms: number;
}

/**
 * The percentile spectrum from the same histogram the summary comes from, at the histogram's
 * resolution (3 significant digits) all the way, as a decoded log gives it: so 100 is the top of
 * the max's bucket, up to 0.1% above the exact `maxMs` of the summary.
 */
export function latencyDistribution(histogram: LatencyHistogram): DistributionPoint[] {
  if (histogram.totalCount === 0) return [];
  return DISTRIBUTION_PERCENTILES.map((percentile) => ({ percentile, ms: histogram.getValueAtPercentile(percentile) / 1000 }));
}

/**
 * Intervals of a strategy's reads: per round (each starting at its release) and, within a long
 * round (open loop, outage), per second of intended send time, the way HdrHistogram logs slice time.
 */
export function latencyIntervals(samples: readonly ReadSample[], roundStarts: readonly number[]): LatencyInterval[] {
  const starts = [...roundStarts].sort((a, b) => a - b);
  const slices = new Map<string, { startMs: number; samples: ReadSample[] }>();
  for (const s of samples) {
    const base = starts[roundOf(starts, s.intendedAt)] ?? s.intendedAt;
    const second = Math.max(0, Math.floor((s.intendedAt - base) / 1000));
    const startMs = base + second * 1000;
    const id = String(startMs);
    const slice = slices.get(id) ?? { startMs, samples: [] };
    slice.samples.push(s);
    slices.set(id, slice);
  }
  // One histogram, reset per slice: each holds an array of ~100 KB, and a drill can have thousands of rounds.
  const histogram = newLatencyHistogram();
  return [...slices.values()]
    .sort((a, b) => a.startMs - b.startMs)
    .map((slice) => {
      histogram.reset();
      let endMs = slice.startMs + 1;
      for (const s of slice.samples) {
        recordLatency(histogram, s.latencyMs);
        endMs = Math.max(endMs, s.intendedAt + s.latencyMs);
      }
      return { startMs: slice.startMs, endMs, histogram: hdr.encodeIntoCompressedBase64(histogram) };
    });
}

/** Index of the last round that started at or before `at` (binary search; 0 before the first). */
export function roundOf(sortedStarts: readonly number[], at: number): number {
  let lo = 0;
  let hi = sortedStarts.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sortedStarts[mid] as number) <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** An `.hlog` interval log; timestamps relative to the first interval, which is the log's StartTime. */
export function renderHistogramLog(intervals: readonly LatencyInterval[], comment: string): string {
  let out = '';
  const writer = new hdr.HistogramLogWriter((chunk) => (out += chunk));
  const startMs = intervals[0]?.startMs ?? 0;
  writer.outputComment(comment.replace(/[\r\n]+/g, ' '));
  writer.outputComment('values in microseconds; Interval_Max in milliseconds');
  writer.outputLogFormatVersion();
  writer.outputStartTime(startMs);
  writer.outputLegend();
  for (const i of intervals) {
    writer.outputIntervalHistogram(hdr.decodeFromCompressedBase64(i.histogram), (i.startMs - startMs) / 1000, (i.endMs - startMs) / 1000, 1000);
  }
  return out;
}

/** All intervals added up, as an `.hgrm` percentile distribution in milliseconds. */
export function renderPercentileDistribution(intervals: readonly LatencyInterval[]): string {
  const total = newLatencyHistogram();
  for (const i of intervals) total.add(hdr.decodeFromCompressedBase64(i.histogram));
  return total.outputPercentileDistribution(5, 1000);
}
