/** `herd --keys FILE`: the key list, read with warm's reader and checked with warm's key rules. */
import { InputError, UsageError } from '../errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { openKeyList, readKeyBatches } from '../adapters/files/key-list-reader.js';
import { keyProblem } from '../core/warm/validate.js';
import type { IO } from '../io.js';

export async function readDrillKeys(file: string, io: IO): Promise<string[]> {
  const keys: string[] = [];
  const seen = new Set<string>();
  const rules = { maxKeyBytes: DEFAULTS.keys.maxKeyBytes, rejectControlChars: DEFAULTS.keys.rejectControlChars };
  for await (const batch of readKeyBatches(openKeyList(file, io.cwd, io.stdin), file, 1000)) {
    for (const [i, key] of batch.keys.entries()) {
      const problem = keyProblem(key, rules);
      if (problem) throw new InputError(`${problem}; fix or remove it`, { file, line: batch.lines[i] as number });
      if (seen.has(key)) continue;
      seen.add(key);
      keys.push(key);
      if (keys.length > DEFAULTS.herd.maxKeys)
        throw new UsageError(`--keys: more than ${DEFAULTS.herd.maxKeys} keys in ${file}; a drill is bounded, use a sample`);
    }
  }
  if (keys.length === 0) throw new InputError('no keys (blank lines and # comments are skipped)', { file });
  return keys;
}
