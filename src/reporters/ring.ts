/**
 * Output of `cachectl ring`: locate lines (key TAB node [TAB slot]) or a streamed JSON array,
 * the balance table, and the diff summary with its from -> to matrix.
 */
import type { ChalkInstance } from 'chalk';
import type { Output } from './output.js';
import type { Location } from '../core/ring/locate.js';
import type { Balance } from '../core/ring/balance.js';
import type { RingDiff } from '../core/ring/diff.js';
import { formatTable } from './style.js';

/** Writes locations as they come: text lines, or one JSON array streamed element by element. */
export class LocationWriter {
  private count = 0;
  constructor(
    private readonly out: Output,
    private readonly json: boolean,
  ) {}

  /** Returns false when the stream asks the caller to wait for 'drain'. */
  write(locations: readonly Location[]): boolean {
    if (locations.length === 0) return true;
    let text = '';
    for (const l of locations) {
      if (this.json) text += (this.count++ === 0 ? '[\n  ' : ',\n  ') + JSON.stringify(l);
      else text += l.slot === undefined ? `${l.key}\t${l.node}\n` : `${l.key}\t${l.node}\t${l.slot}\n`;
    }
    return this.out.result(text);
  }

  end(): void {
    if (this.json) this.out.result(this.count === 0 ? '[]\n' : '\n]\n');
  }
}

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

const BASIS: Record<Balance['basis'], { what: string; count: string }> = {
  arcs: { what: 'share of the hash space (exact)', count: 'points' },
  slots: { what: 'share of the 16384 cluster slots', count: 'slots' },
  keys: { what: 'share of the given keys', count: 'keys' },
  single: { what: 'one node owns every key', count: '-' },
};

export function renderBalance(balance: Balance, style: ChalkInstance, width?: number): string {
  const basis = BASIS[balance.basis];
  const header = ['node', 'address', basis.count, 'share'];
  const rows = balance.nodes.map((n) => [n.node.name, n.node.address, n.count, pct(n.share)]);
  const lines = [
    style.bold(basis.what + (balance.keys !== undefined ? ` (${balance.keys.toLocaleString('en-US')} keys)` : '')),
    formatTable(header, rows, width),
  ];
  lines.push(`coefficient of variation ${balance.cv.toFixed(4)}   max/mean ${balance.maxOverMean.toFixed(3)}`);
  return lines.join('\n') + '\n';
}

/** `ring stats --json`: node names and addresses instead of node objects. */
export function balanceJson(balance: Balance): Record<string, unknown> {
  return {
    basis: balance.basis,
    keys: balance.keys,
    cv: balance.cv,
    maxOverMean: balance.maxOverMean,
    nodes: balance.nodes.map((n) => ({ node: n.node.name, address: n.node.address, count: n.count, share: n.share })),
  };
}

/** The moves as a from x to matrix: rows are the nodes keys leave, columns the nodes they go to. */
export function renderDiff(diff: RingDiff, style: ChalkInstance, width?: number): string {
  const of = diff.basis === 'keys' ? `of ${diff.keys?.toLocaleString('en-US')} keys (${diff.movedKeys?.toLocaleString('en-US')} move)` : 'of the hash space';
  const lines = [style.bold(`${diff.change}: ${pct(diff.moved)} ${of} changes node`)];
  if (diff.moves.length > 0) {
    const froms = [...new Set(diff.moves.map((m) => m.from))];
    const tos = [...new Set(diff.moves.map((m) => m.to))];
    const cell = (from: string, to: string) => {
      const m = diff.moves.find((x) => x.from === from && x.to === to);
      if (!m) return '';
      return diff.basis === 'keys' ? `${pct(m.share)} (${m.keys})` : pct(m.share);
    };
    lines.push(
      formatTable(
        ['from \\ to', ...tos],
        froms.map((f) => [f, ...tos.map((t) => cell(f, t))]),
        width,
      ),
    );
  }
  return lines.join('\n') + '\n';
}
