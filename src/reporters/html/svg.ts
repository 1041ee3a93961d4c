/**
 * Two chart shapes as inline SVG, pure functions of their figures: columns (a histogram, one
 * bar per strategy, a timeline of buckets) and lines over a numeric x axis (a percentile
 * spectrum, a cumulative count). Every bar, line and marker carries its figure in data-*
 * attributes, and a <title> a reader sees on hover.
 */
import { coord, esc } from './escape.js';
import { formatNumber } from './page.js';

export const PALETTE = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00', '#b82e2e', '#316395'];

const W = 860;
const H = 270;
const M = { left: 64, right: 18, top: 22, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** 0 and about five round steps (1, 2 or 5 x 10^k) up to at least `max`. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let t = 0; t < max + step / 2 && ticks.length < 12; t += step) ticks.push(Number(t.toPrecision(12)));
  if ((ticks[ticks.length - 1] as number) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

function frame(name: string, title: string, yLabel: string, yTicks: readonly number[], yOf: (v: number) => number, inner: string, xAxis: string): string {
  const grid = yTicks
    .map(
      (t) =>
        `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${coord(yOf(t))}" y2="${coord(yOf(t))}"/><text x="${M.left - 6}" y="${coord(yOf(t) + 4)}" text-anchor="end">${esc(formatNumber(t))}</text>`,
    )
    .join('');
  return (
    `<svg class="chart" data-chart="${esc(name)}" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">` +
    `<title>${esc(title)}</title>${grid}` +
    `<text x="14" y="${M.top + PH / 2}" transform="rotate(-90 14 ${M.top + PH / 2})" text-anchor="middle">${esc(yLabel)}</text>` +
    inner +
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + PH}" y2="${M.top + PH}"/><line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/>` +
    xAxis +
    `</svg>`
  );
}

export interface ColumnChart {
  name: string;
  title: string;
  yLabel: string;
  values: readonly number[];
  labels: readonly string[];
  xLabel?: string;
  /** One colour per column, or one for all. */
  colors?: readonly string[];
  /** Vertical markers at columns (the busiest seconds over a timeline). */
  markers?: readonly { index: number; label: string; value: number }[];
}

export function columnChart(c: ColumnChart): string {
  const n = Math.max(1, c.values.length);
  const max = Math.max(0, ...c.values, ...(c.markers ?? []).map((m) => m.value));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] as number;
  const yOf = (v: number) => M.top + PH - (PH * v) / top;
  const slot = PW / n;
  const barW = Math.max(1, slot * (n > 40 ? 0.9 : 0.7));
  const xOf = (i: number) => M.left + slot * i + (slot - barW) / 2;
  const bars = c.values
    .map((v, i) => {
      const color = c.colors?.[i % c.colors.length] ?? PALETTE[0];
      const label = c.labels[i] ?? String(i);
      return `<rect class="bar" data-index="${i}" data-label="${esc(label)}" data-value="${esc(v)}" x="${coord(xOf(i))}" y="${coord(yOf(v))}" width="${coord(barW)}" height="${coord(M.top + PH - yOf(v))}" fill="${esc(color)}"><title>${esc(label)}: ${esc(formatNumber(v))}</title></rect>`;
    })
    .join('');
  const markers = (c.markers ?? [])
    .map((m) => {
      const x = coord(xOf(m.index) + barW / 2);
      return `<g class="marker" data-index="${m.index}" data-label="${esc(m.label)}" data-value="${esc(m.value)}"><line x1="${x}" x2="${x}" y1="${coord(yOf(m.value))}" y2="${M.top + PH}" stroke="#b3261e" stroke-dasharray="3 2"/><circle cx="${x}" cy="${coord(yOf(m.value))}" r="3" fill="#b3261e"><title>${esc(m.label)}: ${esc(formatNumber(m.value))}</title></circle></g>`;
    })
    .join('');
  const every = Math.ceil(n / 12);
  const xLabels = c.labels
    .map((l, i) => (i % every === 0 ? `<text x="${coord(xOf(i) + barW / 2)}" y="${M.top + PH + 16}" text-anchor="middle">${esc(l)}</text>` : ''))
    .join('');
  const xTitle = c.xLabel ? `<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${esc(c.xLabel)}</text>` : '';
  return frame(c.name, c.title, c.yLabel, ticks, yOf, bars + markers, xLabels + xTitle);
}

export interface LineSeries {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
}

export interface LineChart {
  name: string;
  title: string;
  yLabel: string;
  xLabel: string;
  series: readonly LineSeries[];
  xMin: number;
  xMax: number;
  xTicks: readonly { at: number; label: string }[];
  /** Steps (a cumulative count) instead of straight segments. */
  step?: boolean;
}

export function lineChart(c: LineChart): string {
  const max = Math.max(0, ...c.series.flatMap((s) => s.points.map((p) => p[1])));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] as number;
  const yOf = (v: number) => M.top + PH - (PH * v) / top;
  const span = c.xMax - c.xMin || 1;
  const xOf = (x: number) => M.left + (PW * (x - c.xMin)) / span;
  const lines = c.series
    .map((s) => {
      const d = s.points
        .map(([x, y], i) => {
          if (i === 0) return `M${coord(xOf(x))} ${coord(yOf(y))}`;
          return c.step ? `H${coord(xOf(x))}V${coord(yOf(y))}` : `L${coord(xOf(x))} ${coord(yOf(y))}`;
        })
        .join('');
      const dots = c.step
        ? ''
        : s.points
            .map(
              ([x, y]) =>
                `<circle cx="${coord(xOf(x))}" cy="${coord(yOf(y))}" r="2.5" fill="${esc(s.color)}"><title>${esc(s.name)}: ${esc(formatNumber(y))}</title></circle>`,
            )
            .join('');
      return `<g class="series" data-series="${esc(s.name)}" data-y="${esc(JSON.stringify(s.points.map((p) => p[1])))}"><path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2"/>${dots}</g>`;
    })
    .join('');
  const xAxis =
    c.xTicks.map((t) => `<text x="${coord(xOf(t.at))}" y="${M.top + PH + 16}" text-anchor="middle">${esc(t.label)}</text>`).join('') +
    `<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${esc(c.xLabel)}</text>`;
  return frame(c.name, c.title, c.yLabel, ticks, yOf, lines, xAxis);
}
