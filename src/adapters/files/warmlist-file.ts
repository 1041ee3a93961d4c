/**
 * Reads one warmlist file and hands its text to the pure parser (core/warm/warmlist.ts): warm's
 * entries, and the entries `inspect drift` compares, so both share one read-error message and
 * one size bound.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULTS } from '../../config/defaults.js';
import { InputError } from '../../errors.js';
import { parseWarmlist, warmlistBaseDir, type EntryDefaults, type OnOverride } from '../../core/warm/warmlist.js';
import type { WarmEntry } from '../../core/warm/types.js';

export function readWarmlist(cwd: string, file: string, defaults: EntryDefaults = {}, onOverride?: OnOverride): WarmEntry[] {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the warmlist (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`, { file });
  }
  // A warmlist is a hand-written file; megabytes of YAML are a mistake (a key list given as one), and slow to parse.
  if (text.length > DEFAULTS.warm.maxWarmlistChars) {
    throw new InputError(
      `the warmlist is ${text.length} characters long; a warmlist has at most ${DEFAULTS.warm.maxWarmlistChars} (put keys in a key list: keys: file.txt)`,
      { file },
    );
  }
  return parseWarmlist(text, file, warmlistBaseDir(path), defaults, onOverride);
}
