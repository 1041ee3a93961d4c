/** `cachectl inspect` (the overview) as text: the verdicts first, then each view's summary. */
import type { ChalkInstance } from 'chalk';
import { formatDuration } from '../config/duration.js';
import type { OverviewReport } from '../core/inspect/overview.js';
import type { Verdict } from '../core/inspect/verdicts.js';
import { relative, renderProblems } from './inspect-common.js';
import { renderNodes } from './inspect-nodes.js';
import { renderClusterCliffs } from './inspect-ttl.js';
import { formatTable } from './style.js';

const SHOWN = 5;

export function renderOverview(r: OverviewReport, style: ChalkInstance, width?: number): string {
  const out: string[] = [];
  out.push(
    style.bold(
      `What is wrong (${r.topology}, ${r.ttl.nodes.length} node${r.ttl.nodes.length === 1 ? '' : 's'}, one scan pass, ${formatDuration(r.durationMs)})`,
    ),
  );
  if (r.verdicts.length === 0) out.push(style.green('nothing found: all nodes answered, no cliff, counter, lock or stale copy above its threshold'));
  for (const v of r.verdicts) out.push(verdictLine(v, style));
  out.push('', renderNodes(r.nodes, style, width).trimEnd());

  const t = r.ttl.totals;
  out.push(
    '',
    style.bold('TTLs'),
    `keys: ${t.keys}; with TTL: ${t.withTtl}; without: ${t.noTtl}${t.noTtl > 0 ? ` (e.g. ${r.ttl.noTtlSample.slice(0, 3).join(', ')})` : ''}`,
  );
  out.push(renderClusterCliffs(r.ttl.clusterCliffs, r.ttl.nodes.length, style, width));

  const s = r.stampede;
  out.push(
    '',
    style.bold(`Stampede counters (${s.prefix}*)`),
    `counters: ${s.totals.counters}; above ${s.threshold}: ${s.totals.hot}; leaked (no TTL): ${s.totals.leaked}; sliding: ${s.totals.sliding}; highest: ${s.totals.maxCount}`,
  );
  if (s.top.length > 0)
    out.push(
      formatTable(
        ['key', 'node', 'count', 'TTL', 'flags'],
        s.top.slice(0, SHOWN).map((c) => [c.key, c.node, c.count, ttl(c.ttlMs), c.flags.join(' ') || '-']),
        width,
      ),
    );

  const l = r.locks;
  out.push(
    '',
    style.bold(`Locks (${l.prefix}*)`),
    `locks: ${l.totals.locks}; stuck (no TTL): ${l.totals.stuck}; held longer than ${formatDuration(l.maxAgeMs)}: ${l.totals.old}`,
  );
  const flagged = l.top.filter((x) => x.flags.length > 0).slice(0, SHOWN);
  if (flagged.length > 0)
    out.push(
      formatTable(
        ['key', 'node', 'TTL', 'held for', 'flags'],
        flagged.map((x) => [
          x.key,
          x.node,
          ttl(x.ttlMs),
          x.ageMs === null ? '?' : `${x.ageFrom === 'idle' ? '>= ' : ''}${formatDuration(x.ageMs)}`,
          x.flags.join(' '),
        ]),
        width,
      ),
    );

  const st = r.stale;
  out.push(
    '',
    style.bold(`Stale copies (*${st.suffix})`),
    `copies: ${st.totals.copies}; served now (primary gone): ${st.totals.serving}; standby: ${st.totals.standby}; die first: ${st.totals['dies-first']}; no TTL: ${st.totals['no-ttl']}`,
  );
  if (st.serving.length > 0)
    out.push(
      formatTable(
        ['key', 'node', 'window left'],
        st.serving.slice(0, SHOWN).map((x) => [x.key, x.node, x.windowLeftMs === null ? 'unbounded' : relative(x.windowLeftMs).replace(/^in /, '')]),
        width,
      ),
    );
  out.push('', 'Each view in full: cachectl inspect nodes | ttl | stampede | locks | stale (same flags).');
  const problems = renderProblems(r.ttl.nodes, style);
  if (problems) out.push('', problems.trimEnd());
  return out.join('\n') + '\n';
}

const ttl = (ms: number | null) => (ms === null ? 'no TTL' : formatDuration(ms));

function verdictLine(v: Verdict, style: ChalkInstance): string {
  const label = v.severity.toUpperCase().padEnd(8);
  const paint = v.severity === 'critical' ? style.red.bold : v.severity === 'warning' ? style.yellow : style.dim;
  return `${paint(label)} ${v.text}`;
}
