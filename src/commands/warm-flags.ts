/**
 * `cachectl warm` flag declarations. Their translation into a WarmPlan lives in warm-plan.ts,
 * which reads warmlists (YAML): --help must not load it.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { formatDurationFlag as dur } from '../config/duration.js';

export interface WarmFlags {
  only?: string[];
  keys?: string;
  pattern?: string;
  fetch?: string;
  query?: string;
  name?: string;
  count?: string;
  ttl?: string;
  jitter?: string;
  format?: string;
  onlyMissing?: boolean;
  refreshBelow?: string;
  stale?: string;
  staleSuffix?: string;
  pgConcurrency?: string;
  batchSize?: string;
  pipelineSize?: string;
  inFlight?: string;
  waitReplicas?: string;
  rate?: string;
  maxErrors?: string;
  retries?: string;
  failoverWait?: string;
  statementTimeout?: string;
  json?: boolean;
  failedKeys?: string;
  dryRun?: boolean;
  verify?: boolean;
  verifySample?: string;
  maxKeyBytes?: string;
  allowControlChars?: boolean;
  maxValueBytes?: string;
  progressInterval?: string;
}

export function addWarmOptions(cmd: Command): Command {
  const d = DEFAULTS.warm;
  return cmd
    .argument('[warmlists...]', 'warmlist YAML files (see warmlists/)')
    .option('--only <entries>', 'only these warmlist entries (comma-separated, repeatable)', collect)
    .option('--keys <file>', "ad hoc: key list file, one key per line ('-' for stdin)")
    .option('--pattern <pattern>', "ad hoc: the keys' pattern, e.g. 'product:{id}' or 'user:{tenant}:{id}'")
    .option('--fetch <sql>', 'ad hoc: SQL fetching many keys at once: $1, $2 ... are arrays in pattern order')
    .option('--query <sql>', "ad hoc: SQL returning 'key' and 'value', streamed through a cursor")
    .option('--name <name>', 'ad hoc: the entry name in the summary (default: keys or query)')
    .option('--count <n>', 'rows the --query returns, for the progress bar (default: the planner estimate)')
    .option('--ttl <duration>', "TTL of every key: 30s, 10m, 1h, or 'none'; wins over a warmlist's ttl:")
    .option('--jitter <percent>', "spread TTLs by ± this much, e.g. 10%; wins over a warmlist's jitter:")
    .addOption(new Option('--format <format>', "how to write a row; wins over a warmlist's format:").choices(['string', 'hash']))
    .option('--only-missing', 'write only keys that do not exist (SET NX)')
    .option('--refresh-below <duration>', 'write only keys that are absent or have less than this TTL left')
    .option('--stale <duration>', "also write <key>:stale with TTL + this window (stale-while-refresh); wins over a warmlist's stale:")
    .option('--stale-suffix <suffix>', `suffix of the stale copy (default ${d.staleSuffix})`)
    .option('--pg-concurrency <n>', `concurrent PostgreSQL fetches (default ${d.pgConcurrency})`)
    .option('--batch-size <n>', `keys per fetch (default ${d.batchSize}); rows per cursor read for queries (default ${d.cursorRows})`)
    .option('--pipeline-size <n>', `keys per Redis pipeline (default ${d.pipelineSize})`)
    .option('--in-flight <n>', `pipelines in flight per node (default ${d.redisInFlight})`)
    .option(
      '--wait-replicas <n>',
      'cluster: replicas that must acknowledge each pipeline before its keys count as written (default 1 where a master has replicas; 0 to not wait)',
    )
    .option('--rate <keys/s>', 'cap the warm at this many keys per second (batches default to a quarter second of it)')
    .option('--max-errors <n>', `stop after this many failed keys (default ${d.maxErrors})`)
    .option('--retries <n>', `retries of a transient error (default ${d.retries})`)
    .option(
      '--failover-wait <duration>',
      `how long keys of a node that stops answering are held for it to come back or a replica to take over (default: ${d.failoverWaitNodeTimeouts} x cluster-node-timeout + ${dur(d.failoverWaitExtraMs)} on a cluster, else ${dur(d.failoverWaitMs)})`,
    )
    .option('--statement-timeout <duration>', `PostgreSQL statement timeout (default ${dur(DEFAULTS.connection.statementTimeoutMs)})`)
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--failed-keys <file>', 'write every key not written, with the reason, one per line (a key list)')
    .option('--dry-run', 'fetch and validate everything, write nothing, print the plan')
    .option('--verify', 'read back every written key on its node: present and with a TTL')
    .option('--verify-sample <n>', 'read back a random sample of n written keys')
    .option('--max-key-bytes <n>', `longest key accepted (default ${DEFAULTS.keys.maxKeyBytes})`)
    .option('--allow-control-chars', 'accept keys with control characters')
    .option('--max-value-bytes <n>', `largest value accepted (default ${d.maxValueBytes})`)
    .option('--progress-interval <duration>', `plain progress line interval off a terminal (default ${dur(d.progressIntervalMs)})`);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return (previous ?? []).concat(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
