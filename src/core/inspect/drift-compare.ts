/** How `inspect drift` compares a cached value with the database's, and reads a row's update time. */

/** Hash fields compare as a set of field/value pairs (order is not kept by Redis); strings byte for byte. */
export function sameValue(cached: string | string[], db: string | string[]): boolean {
  if (typeof cached === 'string' || typeof db === 'string') return cached === db;
  if (cached.length !== db.length) return false;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < cached.length; i += 2) fields.set(cached[i] as string, cached[i + 1] as string);
  for (let i = 0; i + 1 < db.length; i += 2) if (fields.get(db[i] as string) !== db[i + 1]) return false;
  return true;
}

/** An updated_at-like field inside a JSON value (row_to_json carries every column). */
export function jsonUpdatedAt(value: string | string[] | undefined, names: readonly string[], found?: (column: string) => void): Date | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) if (names.includes(value[i] as string)) return dateOf(value[i + 1]);
    return undefined;
  }
  if (!value.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    for (const n of names) {
      if (parsed[n] !== undefined) {
        found?.(n);
        return dateOf(parsed[n]);
      }
    }
  } catch {
    // not JSON: no time to read
  }
  return undefined;
}

export function dateOf(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export const cellText = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
export const show = (v: string | string[] | undefined) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(Object.fromEntries(pairs(v))));
export const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}...` : s);

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}
