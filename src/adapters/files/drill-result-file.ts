/** Reads a live drill's `cachectl herd --json` output for `herd simulate --measured`. */
import { readFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Measured } from '../../core/herd/measured.js';

/** Per strategy from a drill's --json output: amplification, origin queries during an outage, stale-after-drill rate. */
export function readMeasured(path: string): Map<string, Measured> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(
      `cannot read the drill result given to --measured (${error instanceof Error ? error.message : String(error)}); give the output of cachectl herd --json`,
      {
        file: path,
      },
    );
  }
  const reports = (parsed as { reports?: unknown }).reports;
  if (!Array.isArray(reports)) throw new InputError('no "reports" array: give the output of cachectl herd --json', { file: path });
  const out = new Map<string, Measured>();
  for (const r of reports as { strategy?: unknown; amplification?: unknown; outage?: { originDuring?: unknown }; race?: { staleRate?: unknown } }[]) {
    if (typeof r.strategy !== 'string' || typeof r.amplification !== 'number') continue;
    const during = r.outage?.originDuring;
    const stale = r.race?.staleRate;
    out.set(r.strategy, {
      amplification: r.amplification,
      ...(typeof during === 'number' ? { during } : {}),
      ...(typeof stale === 'number' ? { staleRate: stale } : {}),
    });
  }
  return out;
}
