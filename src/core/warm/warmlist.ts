/**
 * Warmlist files: YAML bundles of warm entries. Every error names the file, the line and the
 * field (unknown fields and wrong types included), before anything is connected or written.
 *
 *   defaults: { ttl: 1h, jitter: 10% }        # optional, applies to every entry
 *   entries:
 *     - name: hot-products                    # unique
 *       tier: 1                               # lower tiers are written completely first
 *       ttl: 1h                               # or `none`
 *       keys: hot-products.txt                # relative to this file
 *       pattern: product:{id}
 *       fetch: SELECT id, row_to_json(p)::text AS value FROM products p WHERE id = ANY($1::bigint[])
 *     - name: categories
 *       query: SELECT 'category:' || slug AS key, row_to_json(c)::text AS value FROM categories c
 */
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, newLineCounter, parseDocument, type Node, type Pair } from '../yaml.js';
import { CachectlError, InputError } from '../../errors.js';
import { parseDuration, parseFraction, type DurationRange } from '../../config/duration.js';
import { DURATION_RANGES } from '../../config/defaults.js';
import { parsePattern } from './pattern.js';
import type { WarmEntry } from './types.js';

/**
 * Settings for every entry. From `defaults:` they apply where an entry sets nothing; from flags
 * (`--ttl`, `--jitter`, `--format`, `--stale`) they win over the file: the operator typing the
 * command knows something the file does not (a shorter TTL during an incident, a test run).
 */
export interface EntryDefaults {
  ttlMs?: number | null;
  jitter?: number;
  format?: 'string' | 'hash';
  staleMs?: number;
  tier?: number;
}

const ENTRY_FIELDS = [
  'name',
  'tier',
  'ttl',
  'jitter',
  'keys',
  'pattern',
  'fetch',
  'query',
  'count',
  'format',
  'stale',
  'only-missing',
  'refresh-below',
] as const;
const DEFAULT_FIELDS = ['ttl', 'jitter', 'format', 'stale', 'tier'] as const;

/** Called for each setting of the file that a flag replaced, so the run can say so. */
export type OnOverride = (entry: string, field: string, line: number | undefined) => void;

export function parseWarmlist(text: string, file: string, baseDir: string, flags: EntryDefaults = {}, onOverride: OnOverride = () => undefined): WarmEntry[] {
  const lines = newLineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const fail = (message: string, node: Node | null | undefined, field?: string): never => {
    throw new InputError(message, { file, ...(lineOf(node) !== undefined ? { line: lineOf(node) } : {}), ...(field ? { field } : {}) });
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new InputError(`not valid YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line });
  }
  const root = doc.contents;
  if (!isMap(root)) return fail('a warmlist is a mapping with an `entries:` list', root);
  let defaults: EntryDefaults = {};
  let entriesNode: Node | undefined;
  for (const pair of root.items) {
    const key = keyName(pair);
    if (key === 'entries') entriesNode = pair.value as Node;
    else if (key === 'defaults') defaults = readDefaults(pair.value as Node, fail);
    else fail(`unknown field; a warmlist has \`defaults:\` and \`entries:\``, pair.key as Node, key);
  }
  if (!isSeq(entriesNode) || entriesNode.items.length === 0) return fail('`entries:` must be a non-empty list of entries', entriesNode ?? root, 'entries');
  const seen = new Set<string>();
  return entriesNode.items.map((item) => {
    const entry = readEntry(item as Node, defaults, flags, { file, baseDir, fail, lineOf, onOverride });
    if (seen.has(entry.name)) fail(`entry name '${entry.name}' is used twice; names must be unique`, item as Node, 'name');
    seen.add(entry.name);
    return entry;
  });
}

type Fail = (message: string, node: Node | null | undefined, field?: string) => never;

function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function readDefaults(node: Node, fail: Fail): EntryDefaults {
  if (!isMap(node)) return fail('`defaults:` must be a mapping', node, 'defaults');
  const out: EntryDefaults = {};
  for (const pair of node.items) {
    const field = keyName(pair);
    if (!(DEFAULT_FIELDS as readonly string[]).includes(field))
      fail(`unknown field in defaults; allowed: ${DEFAULT_FIELDS.join(', ')}`, pair.key as Node, field);
    applySetting(out, field, pair.value as Node, fail);
  }
  return out;
}

function applySetting(out: EntryDefaults, field: string, node: Node, fail: Fail): void {
  if (field === 'ttl') out.ttlMs = ttlOf(node, fail);
  else if (field === 'jitter') {
    const v = scalar(node, fail, field);
    out.jitter = guard(() => parseFraction(v === null ? '' : String(v), 'jitter'), node, fail, field);
  } else if (field === 'format') out.format = formatOf(node, fail);
  else if (field === 'stale') out.staleMs = durationOf(node, fail, field, DURATION_RANGES.stale);
  else if (field === 'tier') out.tier = intOf(node, fail, field, 1);
}

const SETTING_FIELDS: Record<keyof EntryDefaults, string> = { ttlMs: 'ttl', jitter: 'jitter', format: 'format', staleMs: 'stale', tier: 'tier' };

function readEntry(
  node: Node,
  defaults: EntryDefaults,
  flags: EntryDefaults,
  ctx: { file: string; baseDir: string; fail: Fail; lineOf: (n: Node) => number | undefined; onOverride: OnOverride },
): WarmEntry {
  const { fail } = ctx;
  if (!isMap(node)) return fail('each entry must be a mapping (name:, ttl:, keys:/query: ...)', node);
  const values = new Map<string, Node>();
  for (const pair of node.items) {
    const field = keyName(pair);
    if (!(ENTRY_FIELDS as readonly string[]).includes(field)) fail(`unknown field; allowed: ${ENTRY_FIELDS.join(', ')}`, pair.key as Node, field);
    values.set(field, pair.value as Node);
  }
  const str = (field: string) => (values.has(field) ? stringOf(values.get(field) as Node, fail, field) : undefined);
  const name = str('name') ?? fail('every entry needs a `name:`', node, 'name');
  const settings: EntryDefaults = { ...defaults };
  for (const field of ['ttl', 'jitter', 'format', 'stale', 'tier']) if (values.has(field)) applySetting(settings, field, values.get(field) as Node, fail);
  for (const [key, value] of Object.entries(flags) as [keyof EntryDefaults, never][]) {
    if (value === undefined) continue;
    if (settings[key] !== undefined && settings[key] !== value) ctx.onOverride(name, SETTING_FIELDS[key], ctx.lineOf(values.get(SETTING_FIELDS[key]) ?? node));
    settings[key] = value;
  }
  if (settings.ttlMs === undefined) fail(`entry '${name}' has no ttl; add \`ttl: 1h\` (or \`ttl: none\` to write without expiry)`, node, 'ttl');
  const query = str('query');
  const keys = str('keys');
  const patternText = str('pattern');
  const fetch = str('fetch');
  let source: WarmEntry['source'];
  if (query !== undefined) {
    for (const f of ['keys', 'pattern', 'fetch'])
      if (values.has(f)) fail(`an entry has either \`query:\` or \`keys:\` + \`pattern:\` + \`fetch:\`, not both`, values.get(f), f);
    const count = values.has('count') ? intOf(values.get('count') as Node, fail, 'count', 0) : undefined;
    source = { kind: 'query', sql: query, ...(count !== undefined ? { count } : {}) };
  } else {
    if (values.has('count')) fail('`count:` is for `query:` entries (the progress bar counts a key list itself); remove it', values.get('count'), 'count');
    if (keys === undefined) fail(`entry '${name}' needs \`query:\`, or \`keys:\` with \`pattern:\` and \`fetch:\``, node, 'keys');
    if (patternText === undefined) fail(`entry '${name}' has keys but no \`pattern:\` (e.g. product:{id})`, node, 'pattern');
    if (fetch === undefined) fail(`entry '${name}' has keys but no \`fetch:\` query`, node, 'fetch');
    const pattern = guard(() => parsePattern(patternText as string, 'pattern'), values.get('pattern') as Node, fail, 'pattern');
    source = { kind: 'keys', keysFile: keys === '-' ? '-' : resolve(ctx.baseDir, keys as string), pattern, fetch: fetch as string };
  }
  const refreshNode = values.get('refresh-below');
  const onlyMissingNode = values.get('only-missing');
  return {
    name,
    tier: settings.tier ?? 1,
    ttlMs: settings.ttlMs as number | null,
    jitter: settings.jitter ?? 0,
    format: settings.format ?? 'string',
    ...(settings.staleMs !== undefined ? { staleMs: settings.staleMs } : {}),
    onlyMissing: onlyMissingNode ? boolOf(onlyMissingNode, fail, 'only-missing') : false,
    ...(refreshNode ? { refreshBelowMs: durationOf(refreshNode, fail, 'refresh-below', DURATION_RANGES.refreshBelow) } : {}),
    source,
    origin: { file: ctx.file, line: ctx.lineOf(node) },
  };
}

function scalar(node: Node, fail: Fail, field: string): unknown {
  if (!isScalar(node)) return fail('must be a single value, not a list or mapping', node, field);
  return node.value;
}

function stringOf(node: Node, fail: Fail, field: string): string {
  const v = scalar(node, fail, field);
  if (typeof v !== 'string' || v.trim() === '') return fail(`must be text, got ${v === null ? 'nothing' : typeof v}`, node, field);
  return v;
}

function intOf(node: Node, fail: Fail, field: string, min: number): number {
  const v = scalar(node, fail, field);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    return fail(`must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got ${JSON.stringify(v)}`, node, field);
  return v;
}

function boolOf(node: Node, fail: Fail, field: string): boolean {
  const v = scalar(node, fail, field);
  if (typeof v !== 'boolean') return fail(`must be true or false, got ${JSON.stringify(v)}`, node, field);
  return v;
}

function durationOf(node: Node, fail: Fail, field: string, range: DurationRange): number {
  const v = scalar(node, fail, field);
  if (typeof v !== 'string' && typeof v !== 'number') return fail('must be a duration such as 30s, 10m or 1h', node, field);
  return guard(() => parseDuration(v, field, range), node, fail, field);
}

function ttlOf(node: Node, fail: Fail): number | null {
  const v = scalar(node, fail, 'ttl');
  if (v === 'none') return null;
  if (v === 0 || v === '0') return fail('must be above zero (or `none` to write without expiry)', node, 'ttl');
  return durationOf(node, fail, 'ttl', DURATION_RANGES.ttl);
}

function formatOf(node: Node, fail: Fail): 'string' | 'hash' {
  const v = scalar(node, fail, 'format');
  if (v !== 'string' && v !== 'hash') return fail(`must be string or hash, got ${JSON.stringify(v)}`, node, 'format');
  return v;
}

/** Re-throws a parser's error with this file, line and field. */
function guard<T>(parse: () => T, node: Node, fail: Fail, field: string): T {
  try {
    return parse();
  } catch (error) {
    // An error that already names the file and line is passed on as it is, not prefixed twice.
    if (error instanceof InputError) throw error;
    if (error instanceof CachectlError) {
      const text = error.message.replace(/^[^:]*: /, '');
      return fail(text, node, field);
    }
    throw error;
  }
}

export function warmlistBaseDir(path: string): string {
  return dirname(path);
}
