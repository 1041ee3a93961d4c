/**
 * cachectl itself, as an operator runs it: `warm` by key list and by streaming query, and
 * `inspect ttl`, each a child process measured from outside (wall time) and inside (rusage).
 */
import { runCachectl, runTimed, type ChildRun } from './measure.js';
import { FETCH_SQL, STREAM_SQL } from './dataset.js';
import type { Topology } from './servers.js';

export interface WarmRun extends ChildRun {
  written: number;
  perSecond: number;
}

export type WarmSource = { kind: 'keys'; file: string } | { kind: 'query'; sql?: string; count: number };

export async function cachectlWarm(
  topology: Topology,
  pgUrl: string,
  source: WarmSource,
  expected: number,
  cpuProfDir?: string,
  extra: string[] = [],
): Promise<WarmRun> {
  const what =
    source.kind === 'keys'
      ? ['--keys', source.file, '--pattern', 'product:{id}', '--fetch', FETCH_SQL]
      : ['--query', source.sql ?? STREAM_SQL, '--count', String(source.count)];
  const run = await runCachectl(['warm', ...what, '--ttl', '1h', '--json', '--pg', pgUrl, ...topology.flags, ...extra], { cpuProfDir });
  let written = 0;
  let stopped = '';
  try {
    const summary = JSON.parse(run.stdout) as { written: number; stopped?: { reason: string; detail: string }; failedExamples?: unknown[] };
    written = summary.written;
    if (summary.stopped) stopped = `stopped: ${summary.stopped.reason}: ${summary.stopped.detail}; `;
    if (summary.failedExamples?.length) stopped += `failed: ${JSON.stringify(summary.failedExamples.slice(0, 2))}; `;
  } catch {
    throw new Error(`cachectl warm (${topology.name}, ${source.kind}) exited ${run.code} without a JSON summary: ${run.stderr.slice(-800)}`);
  }
  if (run.code !== 0 || written !== expected) {
    throw new Error(
      `cachectl warm (${topology.name}, ${source.kind}) wrote ${written} of ${expected} keys (exit ${run.code}): ${stopped}${run.stderr.slice(-300)}`,
    );
  }
  return { ...run, written, perSecond: written / run.seconds };
}

export interface ScanComparison {
  keys: number;
  inspect: ChildRun;
  scan: { seconds: number; lines: number };
}

/** `inspect ttl --match '*'` over every node vs bare `redis-cli --scan` (its default COUNT) on every node at once. */
export async function inspectVsScan(topology: Topology, expected: number): Promise<ScanComparison> {
  const started = process.hrtime.bigint();
  const scans = await Promise.all(topology.ports.map((port) => runTimed('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--scan'], { countLines: true })));
  const scanSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lines = scans.reduce((n, s) => n + s.lines, 0);
  if (lines !== expected) throw new Error(`redis-cli --scan listed ${lines} keys, expected ${expected}`);
  const inspect = await runCachectl(['inspect', 'ttl', '--match', '*', '--json', ...topology.flags]);
  if (inspect.code !== 0 && inspect.code !== 1) throw new Error(`cachectl inspect ttl exited ${inspect.code}: ${inspect.stderr.slice(-800)}`);
  const report = JSON.parse(inspect.stdout) as { nodes: { scanned?: number }[] };
  const scanned = report.nodes.reduce((n, node) => n + (node.scanned ?? 0), 0);
  if (scanned !== expected) throw new Error(`cachectl inspect ttl scanned ${scanned} keys, expected ${expected}`);
  return { keys: expected, inspect, scan: { seconds: scanSeconds, lines } };
}
