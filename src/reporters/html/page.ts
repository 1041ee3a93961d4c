/**
 * The shell of a report page: one self-contained HTML file. No script runs and nothing is
 * fetched (the CSP forbids both), so the page opens from a file, an email attachment or an
 * artifact store alike. The figures it shows are also in a JSON data block (not executed) for
 * tools and tests to read back.
 */
import { esc, jsonForScript } from './escape.js';

export const CSP = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
p.sub, p.note, footer { color: #5a6473; margin: 4px 0 10px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e6e9ef; padding: 3px 10px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f6f9; font-weight: 600; }
ul.verdicts { padding-left: 18px; }
.sev-critical { color: #b3261e; font-weight: 600; } .sev-warning { color: #8a5a00; } .sev-notice { color: #3b5b8c; }
svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #3c4452; }
svg.chart .axis { stroke: #9aa3b1; stroke-width: 1; }
svg.chart .grid { stroke: #edf0f4; stroke-width: 1; }
.legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 3px; margin-right: 5px; vertical-align: middle; }
`;

export interface PageInput {
  title: string;
  subtitle: string;
  sections: string[];
  /** The figures shown, as the command's --json has them. */
  data: unknown;
  generatedAt: Date;
}

export function htmlPage(p: PageInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p class="sub">${esc(p.subtitle)}</p>
${p.sections.join('\n')}
<footer>written by cachectl at ${esc(p.generatedAt.toISOString())}; the figures are also in the JSON block <code>#cachectl-data</code> of this file.</footer>
<script type="application/json" id="cachectl-data">${jsonForScript(p.data)}</script>
</body>
</html>
`;
}

export function section(title: string, note: string | undefined, body: string): string {
  return `<section>\n<h2>${esc(title)}</h2>\n${note ? `<p class="note">${esc(note)}</p>\n` : ''}${body}\n</section>`;
}

/** A table cell: shown text, and the exact figure behind it as data-value when it is one. */
export type Cell = string | number | { text: string; value: number | string | null };

export function table(header: readonly string[], rows: readonly (readonly Cell[])[], name?: string): string {
  const cell = (c: Cell) => {
    if (typeof c === 'number') return `<td data-value="${esc(c)}">${esc(formatNumber(c))}</td>`;
    if (typeof c === 'string') return `<td>${esc(c)}</td>`;
    return `<td${c.value !== null ? ` data-value="${esc(c.value)}"` : ''}>${esc(c.text)}</td>`;
  };
  const head = `<tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n');
  return `<table${name ? ` data-table="${esc(name)}"` : ''}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Integers with separators; fractions to three significant decimals at most. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Number(n.toFixed(Math.abs(n) >= 100 ? 1 : Math.abs(n) >= 10 ? 2 : 3)).toLocaleString('en-US', { maximumFractionDigits: 3 });
}

export function legend(items: readonly { name: string; color: string }[]): string {
  return `<p class="legend">${items.map((i) => `<span><i style="background:${esc(i.color)}"></i>${esc(i.name)}</span>`).join('')}</p>`;
}
