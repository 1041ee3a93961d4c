/** The end of a warm: a text summary (stdout) or one JSON object (stdout, --json). */
import type { WarmEvent, WarmEventListener } from '../core/warm/events.js';
import type { WarmSummary } from '../core/warm/summary.js';
import { formatDuration } from '../config/duration.js';
import type { ChalkInstance } from 'chalk';
import { formatBytes, formatNumber, formatTable } from './style.js';
import { escapeControlChars } from '../core/text.js';

const EXAMPLES = 10;

/** Keeps the first few keys that were not written, to show them in the summary. */
export class FailureExamples {
  readonly examples: { key: string; kind: string; reason: string; entry: string; line?: number }[] = [];
  count = 0;

  listener: WarmEventListener = (event: WarmEvent) => {
    if (event.type !== 'keyFailed') return;
    this.count++;
    if (this.examples.length < EXAMPLES) {
      this.examples.push({
        key: event.key,
        kind: event.kind,
        reason: event.reason,
        entry: event.entry,
        ...(event.line !== undefined ? { line: event.line } : {}),
      });
    }
  };
}

/** The --json summary: the engine's, with the first keys that were not written. */
export function warmJson(summary: WarmSummary, failures: FailureExamples): Record<string, unknown> {
  return { ...summary, failedExamples: failures.examples };
}

export function renderWarmText(summary: WarmSummary, failures: FailureExamples, c: ChalkInstance, failedKeysFile?: string, width?: number): string {
  const s = summary;
  const verb = s.dryRun ? 'dry run: would write' : 'written';
  const stale = s.staleWritten > 0 ? ` (+${formatNumber(s.staleWritten)} stale copies)` : '';
  const out: string[] = [];
  out.push(
    c.bold(
      `warm: ${verb} ${formatNumber(s.written)} keys${stale} in ${formatDuration(s.durationMs)}, ${formatNumber(s.keysPerSecond)} keys/s, ${formatBytes(s.bytes)}`,
    ),
  );
  const problems = s.missing + s.invalid + s.failed + s.notAttempted;
  const line = `skipped ${formatNumber(s.skipped)}, missing ${formatNumber(s.missing)}, invalid ${formatNumber(s.invalid)}, failed ${formatNumber(s.failed)}${s.retries > 0 ? `, retries ${formatNumber(s.retries)}` : ''}`;
  out.push(problems > 0 ? c.yellow(line) : line);
  if (s.resumed) out.push(resumedLine(s));
  if (s.notAttempted > 0)
    out.push(
      c.red(
        `not attempted ${formatNumber(s.notAttempted)}: the run stopped before them${failedKeysFile ? `; listed in ${failedKeysFile}, rerun with --keys ${failedKeysFile}` : '; list them with --failed-keys FILE'}`,
      ),
    );
  for (const u of s.unread ?? []) {
    if (u.source === 'stdin') {
      out.push(
        c.red(
          `${u.entry}: stopped after line ${formatNumber(u.rowsRead)} of ${u.file ?? 'stdin'}; the rest was not read (it cannot be listed; feed it again from there, or run with --checkpoint FILE)`,
        ),
      );
      continue;
    }
    const left = u.rowsLeft !== undefined ? `${formatNumber(u.rowsLeft)} rows` : 'the rest of its rows';
    const why = u.error !== undefined ? `failed after ${formatNumber(u.rowsRead)} rows (${u.error})` : `stopped after ${formatNumber(u.rowsRead)} rows`;
    out.push(c.red(`query ${u.entry}: ${why}, ${left} not read (rows cannot be listed; run with --checkpoint FILE to resume where it stopped)`));
  }
  out.push('');
  out.push(
    formatTable(
      ['node', s.dryRun ? 'keys (planned)' : 'keys', 'bytes'],
      Object.entries(s.nodes).map(([n, k]) => [n, k, formatBytes(s.nodeBytes[n] ?? 0)]),
      width,
    ),
  );
  out.push('');
  out.push(
    formatTable(
      ['entry', 'tier', 'written', 'skipped', 'missing', 'invalid', 'failed', 'bytes'],
      Object.entries(s.entries).map(([name, e]) => [name, e.tier, e.written, e.skipped, e.missing, e.invalid, e.failed, formatBytes(e.bytes)]),
      width,
    ),
  );
  if (s.samples && s.samples.length > 0) {
    out.push('', 'sample keys:');
    out.push(
      formatTable(
        ['key', 'node', 'ttl'],
        s.samples.map((k) => [k.key, k.node, k.ttlMs === null ? 'none' : formatDuration(k.ttlMs)]),
        width,
      ),
    );
  }
  if (failures.examples.length > 0) {
    out.push('', `not written (${failures.count > EXAMPLES ? `first ${EXAMPLES} of ${formatNumber(failures.count)}` : formatNumber(failures.count)}):`);
    for (const f of failures.examples) out.push(`  ${visible(f.key)}  ${f.kind}: ${visible(f.reason)}${f.line !== undefined ? ` (line ${f.line})` : ''}`);
    if (failedKeysFile) out.push(`  every one is listed in ${failedKeysFile}`);
    else if (failures.count > EXAMPLES) out.push('  list them all with --failed-keys FILE');
  }
  if (s.verify) {
    const v = s.verify;
    const unread = v.unverified > 0 ? `, ${formatNumber(v.unverified)} could not be read back` : '';
    const text = `verify: ${formatNumber(v.checked)} keys read back, ${formatNumber(v.missing)} missing, ${formatNumber(v.noTtl)} without TTL${unread}`;
    out.push('', v.missing + v.noTtl + v.unverified > 0 ? c.red(text) : text);
  }
  if (s.stopped) out.push('', c.red(`stopped early (${s.stopped.reason}): ${s.stopped.detail}`));
  for (const problem of s.outputErrors ?? []) out.push('', c.red(problem));
  return out.join('\n') + '\n';
}

/** `resumed from c.json: products from line 1,201, categories after key 'category:m', users already done`. */
function resumedLine(s: WarmSummary): string {
  const parts = Object.entries(s.resumed ?? {}).map(([name, r]) => {
    if (r.complete) return `${name} already done`;
    const from = r.afterKey !== undefined ? `from key '${visible(r.afterKey)}' (row ${formatNumber(r.from)})` : `after ${r.unit} ${formatNumber(r.from)}`;
    if (r.mismatchAt === undefined) return `${name} ${from}`;
    const at = r.unit === 'row' ? 'its first row' : `line ${formatNumber(r.mismatchAt)}`;
    return `${name} from ${at} (its input differs from what the checkpoint recorded)`;
  });
  return `resumed from ${s.checkpoint ?? 'the checkpoint'}: ${parts.length > 0 ? parts.join(', ') : 'nothing was done yet, every entry from its start'}`;
}

/** Keys may contain anything; show control characters escaped. */
function visible(text: string): string {
  return escapeControlChars(text);
}
