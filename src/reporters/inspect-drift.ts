/** `inspect drift` as text: one row per entry, then examples of what differs. */
import type { ChalkInstance } from 'chalk';
import { formatDuration } from '../config/duration.js';
import type { DriftReport } from '../core/inspect/drift.js';
import { renderProblems } from './inspect-common.js';
import { formatTable } from './style.js';

export function renderDrift(r: DriftReport, style: ChalkInstance, width?: number): string {
  const pct = (n: number | null) => (n === null ? '-' : `${n.toFixed(2)}%`);
  const out = [
    style.bold(`Cache against the database (${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'}, ${formatDuration(r.durationMs)}; read-only)`),
  ];
  out.push(
    formatTable(
      ['entry', 'keys from', 'compared', 'equal', 'different', 'missing in db', 'not cached', 'unchecked', 'drift', 'oldest stale copy'],
      r.entries.map((e) => [
        e.entry,
        `${e.from}${e.sampled ? ' (sample)' : ''}`,
        e.compared,
        e.equal,
        e.different,
        e.missingInDb === null ? 'n/a' : e.missingInDb,
        e.notCached,
        e.unchecked,
        pct(e.driftPercent),
        e.oldestStale ? `${formatDuration(e.oldestStale.ageMs)} (${e.oldestStale.key}, ${e.oldestStale.column} ${e.oldestStale.updatedAt})` : '-',
      ]),
      width,
    ),
  );
  const t = r.totals;
  out.push(`total: ${t.compared} compared, ${t.equal} equal, ${t.different} different, ${t.missingInDb} missing in the database: drift ${pct(t.driftPercent)}`);
  for (const e of r.entries) {
    if (e.examples.length > 0) {
      out.push('', style.bold(`${e.entry}: examples`));
      out.push(
        formatTable(
          ['key', 'kind', 'cached', 'database'],
          e.examples.map((x) => [x.key, x.kind, x.cached, x.database ?? '(no row)']),
          width,
        ),
      );
    }
    for (const error of e.fetchErrors) out.push(style.red(`! ${e.entry}: a batch could not be fetched: ${error}`));
    if (e.missingInDb === null)
      out.push(`(${e.entry} is a query entry: keys it no longer returns cannot be told from keys it never returned, so "missing in db" is not measured)`);
  }
  const problems = renderProblems(r.nodes, style);
  if (problems) out.push('', problems.trimEnd());
  return out.join('\n') + '\n';
}
