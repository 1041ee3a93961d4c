/**
 * `--fail-on <conditions>`: turns a report into an alert check. Conditions are `name`, or
 * `name<op><number>[%]` with op one of > >= < <=, separated by commas. A bare name means "> 0".
 * Every view publishes named metrics; a condition its view does not measure is a usage error,
 * as is an unknown one: a check that can never fire must not pass silently.
 */
import { UsageError } from '../../errors.js';

/** `overview` (inspect with no view) measures every view's conditions. */
export type InspectView = 'ttl' | 'stampede' | 'locks' | 'stale' | 'nodes' | 'hotkeys' | 'drift' | 'overview';
type Op = '>' | '>=' | '<' | '<=';

interface ConditionSpec {
  /** Metric read when the threshold is a count, and when it is a percentage. */
  metric?: string;
  percentMetric?: string;
  views: readonly InspectView[];
  help: string;
}

const EVERY_VIEW: readonly InspectView[] = ['ttl', 'stampede', 'locks', 'stale', 'nodes', 'hotkeys', 'drift'];

export const CONDITIONS: Readonly<Record<string, ConditionSpec>> = {
  'stuck-locks': { metric: 'stuck-locks', views: ['locks'], help: 'locks without a TTL' },
  'old-locks': { metric: 'old-locks', views: ['locks'], help: 'locks held longer than --lock-max-age' },
  'leaked-counters': { metric: 'leaked-counters', views: ['stampede'], help: 'stampede counters without a TTL' },
  'sliding-counters': { metric: 'sliding-counters', views: ['stampede'], help: 'stampede counters with a TTL longer than --window' },
  stampede: { metric: 'stampede', views: ['stampede'], help: 'the highest stampede counter' },
  'hot-counters': { metric: 'hot-counters', views: ['stampede'], help: 'stampede counters above --threshold' },
  'no-ttl': { metric: 'no-ttl', percentMetric: 'no-ttl%', views: ['ttl', 'nodes'], help: 'keys without a TTL (count, or % of keys)' },
  cliff: { metric: 'cliff', views: ['ttl'], help: 'keys expiring in the busiest one-second window of all nodes together (clocks corrected)' },
  'cliff-10s': { metric: 'cliff-10s', views: ['ttl'], help: 'keys expiring in the busiest 10-second span of all nodes together' },
  'cliff-60s': { metric: 'cliff-60s', views: ['ttl'], help: 'keys expiring in the busiest 60-second span of all nodes together' },
  'node-cliff': { metric: 'node-cliff', views: ['ttl'], help: 'keys expiring in the busiest one-second window of any one node (its own clock)' },
  missing: { metric: 'missing', views: ['ttl'], help: 'keys given by name that do not exist' },
  'stale-serving': { metric: 'stale-serving', views: ['stale'], help: 'stale copies whose primary key is gone (being served now)' },
  'stale-no-ttl': { metric: 'stale-no-ttl', views: ['stale'], help: 'stale copies without a TTL' },
  drift: {
    metric: 'drift',
    percentMetric: 'drift%',
    views: ['drift'],
    help: 'cached keys that differ from the database or whose row is gone (count, or % of keys compared)',
  },
  'nodes-down': { metric: 'nodes-down', views: EVERY_VIEW, help: 'nodes down or refusing a command inspect needs' },
  memory: { percentMetric: 'memory%', views: ['nodes'], help: 'highest used/maxmemory of a node, in %' },
  'hit-ratio': { percentMetric: 'hit-ratio%', views: ['nodes'], help: 'lowest keyspace hit ratio of a node, in %' },
  evicted: { metric: 'evicted', views: ['nodes'], help: 'keys evicted (INFO stats, since the node started)' },
};

export interface Condition {
  text: string;
  name: string;
  metric: string;
  op: Op;
  threshold: number;
}

export interface ConditionResult extends Condition {
  /** null: the report has no figure for it (e.g. no hit ratio before any lookup); never holds. */
  value: number | null;
  holds: boolean;
}

const SYNTAX = /^([a-z][a-z0-9-]*)\s*(?:(>=|<=|>|<)\s*(\d+(?:\.\d+)?)\s*(%)?)?$/;

export function parseFailOn(texts: readonly string[], view: InspectView): Condition[] {
  const out: Condition[] = [];
  for (const raw of texts.flatMap((t) => t.split(','))) {
    const text = raw.trim();
    if (text === '') continue;
    const m = SYNTAX.exec(text);
    const name = m?.[1] ?? '';
    const spec = CONDITIONS[name];
    if (!m || !spec) {
      throw new UsageError(`--fail-on: unknown condition '${text}'; known: ${Object.keys(CONDITIONS).join(', ')} (e.g. stuck-locks, no-ttl>100, cliff>1000)`);
    }
    if (view !== 'overview' && !spec.views.includes(view)) {
      throw new UsageError(`--fail-on: '${name}' is measured by \`inspect ${spec.views.join('` / `inspect ')}\`, not by \`inspect ${view}\``);
    }
    const percent = m[4] === '%' || (spec.metric === undefined && m[3] !== undefined);
    const metric = percent ? spec.percentMetric : spec.metric;
    if (!metric)
      throw new UsageError(`--fail-on: '${text}': ${name} takes ${spec.percentMetric ? 'a percentage, e.g. ' + name + '>90%' : 'a count, not a percentage'}`);
    if (m[2] === undefined && spec.metric === undefined)
      throw new UsageError(`--fail-on: '${name}' needs a threshold, e.g. ${name}${name === 'hit-ratio' ? '<50%' : '>90%'}`);
    out.push({ text, name, metric, op: (m[2] as Op | undefined) ?? '>', threshold: m[3] !== undefined ? Number(m[3]) : 0 });
  }
  // `--fail-on ''` (an unset shell variable) would otherwise be a check that can never fire.
  if (texts.length > 0 && out.length === 0) throw new UsageError(`--fail-on: no condition given; name one or more of ${Object.keys(CONDITIONS).join(', ')}`);
  return out;
}

export function evaluateFailOn(conditions: readonly Condition[], metrics: Readonly<Record<string, number>>): ConditionResult[] {
  return conditions.map((c) => {
    const value = metrics[c.metric];
    if (value === undefined || !Number.isFinite(value)) return { ...c, value: null, holds: false };
    return { ...c, value, holds: compare(value, c.op, c.threshold) };
  });
}

function compare(value: number, op: Op, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}
