/**
 * Key patterns such as `product:{id}` or `user:{tenant}:{id}`: the parameters a key carries,
 * in order, so a batch of keys becomes one array per parameter for `= ANY($n)`.
 * `{{` and `}}` are literal braces (for Redis Cluster hash tags: `cart:{{{id}}}` is `cart:{42}`).
 */
import { UsageError } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import { clip } from '../../config/duration.js';

export interface KeyPattern {
  readonly source: string;
  /** Parameter names in pattern order: `$1` is params[0]. */
  readonly params: readonly string[];
  /** Literal text around the parameters: literals.length === params.length + 1. */
  readonly literals: readonly string[];
  readonly regex: RegExp;
}

export function parsePattern(source: string, what = '--pattern'): KeyPattern {
  // Bounded before anything else: a megabyte pattern would build a regular expression V8 refuses.
  const { maxPatternChars, maxPatternParams } = DEFAULTS.keys;
  if (source.length > maxPatternChars) {
    throw new UsageError(
      `${what}: the pattern is ${source.length} characters long; a key pattern has at most ${maxPatternChars} (it starts '${clip(source, 40)}')`,
    );
  }
  const params: string[] = [];
  const literals: string[] = [];
  let literal = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch === '{' && source[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (ch === '}' && source[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (ch === '{') {
      const close = source.indexOf('}', i);
      if (close < 0) throw new UsageError(`${what}: '${source}' has an unclosed '{'; write parameters as {name} and literal braces as {{ }}`);
      const name = source.slice(i + 1, close);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new UsageError(
          `${what}: '{${name}}' in '${source}' is not a parameter name; use letters, digits and _ (it must match a column of the fetch query)`,
        );
      }
      if (params.includes(name)) throw new UsageError(`${what}: parameter {${name}} appears twice in '${source}'`);
      if (params.length === maxPatternParams) throw new UsageError(`${what}: '${clip(source, 40)}' has more than ${maxPatternParams} parameters`);
      if (params.length > 0 && literal === '') {
        throw new UsageError(`${what}: parameters {${params[params.length - 1]}} and {${name}} in '${source}' need a separator between them`);
      }
      params.push(name);
      literals.push(literal);
      literal = '';
      i = close;
    } else if (ch === '}') {
      throw new UsageError(`${what}: '${source}' has a stray '}'; write literal braces as {{ }}`);
    } else {
      literal += ch;
    }
  }
  literals.push(literal);
  if (params.length === 0) {
    throw new UsageError(`${what}: '${source}' has no parameter; name the key's variable part, e.g. product:{id}`);
  }
  const body = literals.map((lit, i) => escapeRegex(lit) + (i < params.length ? (i === params.length - 1 ? '(.+)' : '(.+?)') : '')).join('');
  return { source, params, literals, regex: new RegExp(`^${body}$`, 's') };
}

/** The parameter values of `key`, in pattern order, or undefined when the key does not match. */
export function matchKey(pattern: KeyPattern, key: string): string[] | undefined {
  if (pattern.params.length === 1) {
    const value = matchKeyParam(pattern, key);
    return value === undefined ? undefined : [value];
  }
  const m = pattern.regex.exec(key);
  if (!m) return undefined;
  return m.slice(1) as string[];
}

/**
 * The one parameter's value of `key` for a one-parameter pattern (undefined: no match). It is
 * `^prefix(.+)suffix$` without the regular expression: the same test (the greedy capture is
 * whatever lies between the two literals), and no match array per key of a key list.
 */
function matchKeyParam(pattern: KeyPattern, key: string): string | undefined {
  const prefix = pattern.literals[0] as string;
  const suffix = pattern.literals[1] as string;
  if (key.length <= prefix.length + suffix.length || !key.startsWith(prefix) || !key.endsWith(suffix)) return undefined;
  return key.slice(prefix.length, key.length - suffix.length);
}

/**
 * matchKey into columns: writes `key`'s parameter values at index `at` of `columns` (one per
 * parameter) and says whether it matched. A key list's batch fills its parameter columns with it,
 * without an array per key for a one-parameter pattern.
 */
export function matchKeyInto(pattern: KeyPattern, key: string, columns: string[][], at: number): boolean {
  if (pattern.params.length === 1) {
    const value = matchKeyParam(pattern, key);
    if (value !== undefined) (columns[0] as string[])[at] = value;
    return value !== undefined;
  }
  const parts = matchKey(pattern, key);
  if (parts) for (let p = 0; p < parts.length; p++) (columns[p] as string[])[at] = parts[p] as string;
  return parts !== undefined;
}

/** Builds the key for parameter values (the inverse of matchKey). */
export function renderKey(pattern: KeyPattern, values: readonly unknown[]): string {
  const lits = pattern.literals;
  let out = lits[0] as string;
  for (let i = 0; i < values.length; i++) out += String(values[i]) + (lits[i + 1] as string);
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
