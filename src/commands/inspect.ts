/**
 * `cachectl inspect ttl|stampede|locks|stale|nodes`: flags only; inspect-action.ts parses them and
 * is imported when a view runs. The views live in src/core/inspect, the scanning in
 * src/adapters/redis/scanner.ts, the output in src/reporters.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { formatDurationFlag as dur } from '../config/duration.js';
import type { ConnectionFlags } from '../config/target.js';
import type { CommandContext } from './context.js';
import { addPgOptions, addRedisOptions } from './connection-flags.js';

export interface InspectFlags extends ConnectionFlags {
  json?: boolean;
  watch?: string | boolean;
  ticks?: string;
  failOn?: string[];
  rate?: string;
  count?: string;
  match?: string;
  top?: string;
  lockPrefix?: string;
  stampedePrefix?: string;
  staleSuffix?: string;
  scanMode?: string;
  keys?: string;
  list?: boolean;
  types?: boolean;
  threshold?: string;
  window?: string;
  lockMaxAge?: string;
  lockValues?: boolean;
  nodeOnly?: boolean;
  cliffThreshold?: string;
  entry?: string[];
  sample?: string;
  all?: boolean;
  fromList?: boolean;
  updatedColumn?: string;
  batchSize?: string;
  pgConcurrency?: string;
  statementTimeout?: string;
  driftedKeys?: string;
  examples?: string;
  pg?: string;
  report?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Flags every view takes: connection, output, watch, alert conditions. */
function addCommonOptions(cmd: Command): Command {
  return addRedisOptions(cmd)
    .option('--json', 'print the report as JSON (with --watch: one JSON line per tick)')
    .option(
      '--watch [interval]',
      `refresh like top, every interval (default ${dur(DEFAULTS.inspect.watchIntervalMs)}, e.g. 500ms, 10s); off a terminal: one JSON line per tick`,
    )
    .option('--ticks <n>', 'with --watch: stop after N refreshes')
    .option('--fail-on <conditions>', 'exit 1 when a condition holds, e.g. stuck-locks,no-ttl>100,cliff>1000 (repeatable)', collect)
    .option('--node-only', 'with --redis pointing at a cluster node: inspect just that node (refused otherwise)');
}

/** Flags of the views that scan (the pattern views derive their SCAN MATCH from the prefix). */
function addScanOptions(cmd: Command, withMatch: boolean): Command {
  if (withMatch) cmd.option('--match <pattern>', "SCAN MATCH pattern (default '*')");
  return addCommonOptions(cmd)
    .option('--count <n>', `SCAN COUNT per call (default ${DEFAULTS.inspect.scanCount})`)
    .option('--rate <keys/s>', 'at most this many keys per second per node (default: unlimited)')
    .option('--top <n>', `rows in top-N lists and cliffs (default ${DEFAULTS.inspect.topN})`)
    .addOption(
      new Option('--scan-mode <mode>', 'lua: one script per SCAN batch; pipeline: SCAN + pipelined lookups')
        .choices(['auto', 'lua', 'pipeline'])
        .default('auto'),
    );
}

export function registerInspect(program: Command, ctx: CommandContext): Command {
  const inspect = program
    .command('inspect')
    .description(
      'What is wrong right now (no view: the overview), or one view: TTLs, expiry cliffs, stampede counters, locks, stale copies, node health, drift, hot keys',
    );
  const actions = () => import('./inspect-action.js');
  // The default subcommand: `cachectl inspect --cluster ...` runs it with every flag (the parent has none of its own).
  addScanOptions(
    inspect
      .command('overview', { isDefault: true })
      .description('what is wrong right now: one scan pass for every view, a verdict list ranked by severity, then each view summarised (the default)'),
    false,
  )
    .argument('[view]', 'a view name that is not known lands here, and is refused')
    .option('--stampede-prefix <prefix>', `prefix of the stampede counters (default '${DEFAULTS.inspect.stampedePrefix}')`)
    .option('--threshold <n>', `stampede counters above this count are hot (default ${DEFAULTS.inspect.stampedeThreshold})`)
    .option('--window <duration>', `the counters' expiry window (default ${dur(DEFAULTS.inspect.stampedeWindowMs)})`)
    .option('--lock-prefix <prefix>', `prefix of the locks (default '${DEFAULTS.inspect.lockPrefix}')`)
    .option('--lock-max-age <duration>', `locks held longer than this are old (default ${dur(DEFAULTS.inspect.lockMaxAgeMs)})`)
    .option('--lock-values', 'read lock values even on Redis < 7.2, where that resets their idle time')
    .option('--stale-suffix <suffix>', `suffix of stale copies (default '${DEFAULTS.inspect.staleSuffix}')`)
    .option('--cliff-threshold <keys>', `an expiry second of all nodes with more keys than this is a verdict (default ${DEFAULTS.inspect.verdicts.cliffKeys})`)
    .option('--report <file.html>', 'also write a self-contained HTML page with charts: the TTL histogram and the cluster-wide expiry timeline')
    .action(async (view: string | undefined, flags: InspectFlags) => (await actions()).inspectOverviewAction(view, flags, ctx));

  addScanOptions(inspect.command('ttl').description('TTLs, keys without TTL, a TTL histogram and expiry cliffs (SCAN every node, or keys by name)'), true)
    .argument('[keys...]', 'keys to look up on their owning node (instead of --match)')
    .option('--keys <file>', "a file of keys, one per line ('-' for stdin)")
    .option('--types', 'with --match: also count keys by type (one more command per key on the nodes)')
    .option('--list', `with --match: also print one row per key (streamed; with --json the first ${DEFAULTS.inspect.maxJsonRows.toLocaleString('en-US')})`)
    .option('--report <file.html>', 'also write a self-contained HTML page with charts: the TTL histogram and the cluster-wide expiry timeline')
    .option('--stale-suffix <suffix>', `suffix of stale copies (default '${DEFAULTS.inspect.staleSuffix}')`)
    .action(async (keys: string[], flags: InspectFlags) => (await actions()).inspectTtlAction(keys, flags, ctx));

  addScanOptions(
    inspect.command('stampede').description('stampede-detection counters by count; flags hot, leaked (no TTL) and sliding (TTL > window) counters'),
    false,
  )
    .option('--stampede-prefix <prefix>', `prefix of the counters (default '${DEFAULTS.inspect.stampedePrefix}')`)
    .option('--threshold <n>', `flag counters above this count (default ${DEFAULTS.inspect.stampedeThreshold})`)
    .option('--window <duration>', `the counters' expiry window; longer TTLs are sliding (default ${dur(DEFAULTS.inspect.stampedeWindowMs)})`)
    .action(async (flags: InspectFlags) => (await actions()).inspectStampedeAction(flags, ctx));

  addScanOptions(inspect.command('locks').description('lock keys: flags locks without TTL (stuck) and locks held longer than --lock-max-age'), false)
    .option('--lock-prefix <prefix>', `prefix of the locks (default '${DEFAULTS.inspect.lockPrefix}')`)
    .option('--lock-max-age <duration>', `flag locks held longer than this (default ${dur(DEFAULTS.inspect.lockMaxAgeMs)})`)
    .option('--lock-values', 'read lock values (holder token, timestamp) even on Redis < 7.2, where that resets their idle time')
    .action(async (flags: InspectFlags) => (await actions()).inspectLocksAction(flags, ctx));

  addScanOptions(inspect.command('stale').description('stale copies (<key>:stale): served now or standby, and how much of their window is left'), false)
    .option('--stale-suffix <suffix>', `suffix of stale copies (default '${DEFAULTS.inspect.staleSuffix}')`)
    .action(async (flags: InspectFlags) => (await actions()).inspectStaleAction(flags, ctx));

  addScanOptions(
    inspect
      .command('hotkeys')
      .description('the hottest keys of every node (OBJECT FREQ under an LFU policy, else least idle, labelled), one per line for warm --keys'),
    true,
  ).action(async (flags: InspectFlags) => (await actions()).inspectHotkeysAction(flags, ctx));

  addPgOptions(
    addCommonOptions(
      inspect
        .command('drift')
        .description(
          'how much of the cache disagrees with PostgreSQL: cached keys of each warmlist entry fetched again with its own SQL and compared (read-only)',
        ),
    ),
  )
    .argument('<warmlist>', 'the warmlist whose entries to check')
    .option('--entry <name>', 'only this entry (repeatable)', collect)
    .option('--sample <n>', `keys compared per entry, a uniform sample over every node (default ${DEFAULTS.inspect.driftSample})`)
    .option('--all', 'compare every cached key of each entry')
    .option('--from-list', "key-list entries: take the keys from the entry's key list instead of the cache")
    .option(
      '--updated-column <name>',
      "column (or JSON field of the value) with the row's last change, for the age of the oldest stale copy (default: updated_at, modified_at, ...)",
    )
    .option(
      '--batch-size <n>',
      `keys per fetch (default ${DEFAULTS.warm.batchSize}, fewer where values are large: about ${DEFAULTS.warm.fetchBytes.target / 2 ** 20} MiB a fetch)`,
    )
    .option('--pg-concurrency <n>', `fetches in flight (default ${DEFAULTS.warm.pgConcurrency})`)
    .option('--statement-timeout <duration>', `PostgreSQL statement timeout (default ${dur(DEFAULTS.connection.statementTimeoutMs)})`)
    .option('--rate <keys/s>', 'at most this many keys compared per second (default: unlimited)')
    .option('--count <n>', `SCAN COUNT per call (default ${DEFAULTS.inspect.scanCount})`)
    .option('--drifted-keys <file>', 'write the drifted keys there, one per line with the reason after a TAB (feed to warm --keys)')
    .option('--examples <n>', 'examples shown per entry (default 5)')
    .option('--stale-suffix <suffix>', `suffix of stale copies, never compared (default '${DEFAULTS.inspect.staleSuffix}')`)
    .action(async (warmlist: string, flags: InspectFlags) => (await actions()).inspectDriftAction(warmlist, flags, ctx));

  addCommonOptions(
    inspect.command('nodes').description('per node: role, keys, memory, eviction policy, hit ratio, evictions, ops/s, clients; slots or ring share'),
  ).action(async (flags: InspectFlags) => (await actions()).inspectNodesAction(flags, ctx));
  return inspect;
}
