/** Parsing of INFO text into the figures inspect shows. Pure: the adapter hands over the text. */
import type { KeyspaceFigures } from './types.js';

/** `INFO` text -> field map (sections merged; `# Section` lines dropped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** `db0:keys=10,expires=4,avg_ttl=1234` for the given db; an empty db has no line: zeros. */
export function keyspaceOf(info: Record<string, string>, db = 0): KeyspaceFigures {
  const line = info[`db${db}`];
  const fields: Record<string, number> = {};
  for (const part of (line ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = Number(part.slice(eq + 1));
  }
  const keys = fields.keys ?? 0;
  const withTtl = fields.expires ?? 0;
  return { keys, withTtl, withoutTtl: keys - withTtl, avgTtlMs: fields.avg_ttl ?? 0 };
}

/** `7.0.15` -> [7, 0, 15]; unknown parts are 0. */
export function parseVersion(version: string | undefined): [number, number, number] {
  const [a, b, c] = (version ?? '').split('.').map((p) => Number.parseInt(p, 10));
  return [a || 0, b || 0, c || 0];
}

export function versionAtLeast(version: string | undefined, major: number, minor = 0): boolean {
  const [a, b] = parseVersion(version);
  return a > major || (a === major && b >= minor);
}
