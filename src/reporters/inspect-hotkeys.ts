/**
 * `inspect hotkeys` as a key list: `#` comment lines say what the ranking is, then one key per
 * line with its score after a TAB, so the output feeds `cachectl warm --keys` as it is.
 */
import type { ChalkInstance } from 'chalk';
import type { HotkeysReport } from '../core/inspect/hotkeys.js';
import { statusText } from './inspect-common.js';
import { hasControlChars } from '../core/text.js';

export function renderHotkeys(r: HotkeysReport, _style: ChalkInstance): string {
  const scanned = r.nodes.reduce((a, n) => a + n.scanned, 0);
  const lines = [
    `# cachectl inspect hotkeys: ${r.keys.length} keys of ${scanned.toLocaleString('en-US')} scanned (MATCH ${r.match}) on ${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}, hottest first`,
    `# ${r.note}`,
    `# feed back with: cachectl warm --keys <this file> --pattern ... --fetch ...`,
  ];
  for (const n of r.nodes.filter((x) => x.status !== 'ok'))
    lines.push(`# ! ${n.name}: ${n.status === 'interrupted' ? 'interrupted' : statusText(n.problem)}${n.problem ? `: ${n.problem.message}` : ''}`);
  // A key with a control character cannot be a key-list line: it is written as a comment, escaped.
  const safe = (key: string) => (hasControlChars(key) ? `# ${JSON.stringify(key)}` : key);
  for (const k of r.keys) lines.push(`${safe(k.key)}\t# ${k.measure === 'freq' ? `freq ${k.score}` : `idle ${k.score}s`}, ${k.node}`);
  return lines.join('\n') + '\n';
}
