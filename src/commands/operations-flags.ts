/**
 * The run-control flags of `cachectl warm` (run lock, --deadline, --checkpoint, --metrics-file,
 * --log-format, --shard) as declared for --help; core/run/plan.ts parses them.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { formatDurationFlag as dur } from '../config/duration.js';
import type { RunControlFlags } from '../core/run/plan.js';

export type OperationsFlags = RunControlFlags;

export function addOperationsOptions(cmd: Command): Command {
  return cmd
    .option('--no-lock', 'do not take the run lock (two runs of the same warmlist may overlap)')
    .option('--wait-lock <duration>', 'wait up to this long for a run lock held by another run (default: refuse at once, exit 75)')
    .option('--lock-ttl <duration>', `run lock TTL, renewed every third of it while running (default ${dur(DEFAULTS.operations.lockTtlMs)})`)
    .option('--lock-name <name>', 'lock (and metrics) name for an ad-hoc run (default: the warmlist file names)')
    .option('--deadline <duration|time>', 'start no new work after this (90s, 10m, or 2026-11-26T06:00:00Z); report what was not done, exit 1')
    .option('--checkpoint <file>', 'record progress here; an interrupted run given the same file resumes where it stopped')
    .option('--metrics-file <path>', "write Prometheus metrics for node_exporter's textfile collector (atomically)")
    .addOption(
      new Option('--log-format <format>', 'progress and events on stderr: text, or json (one object per line)').choices(['text', 'json']).default('text'),
    )
    .option('--shard <i>/<n>', 'warm only shard i of n (0-based), chosen by hashing each key (default: JOB_COMPLETION_INDEX)')
    .option('--shard-count <n>', 'number of shards when JOB_COMPLETION_INDEX gives the index (also JOB_COMPLETIONS)');
}
