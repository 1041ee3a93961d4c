import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectDrift, type DriftOptions, type DriftPorts } from '../../src/core/inspect/drift.js';
import type { InspectSource } from '../../src/core/inspect/types.js';
import type { KeyLineBatch } from '../../src/core/warm/ports.js';
import type { WarmEntry } from '../../src/core/warm/types.js';
import { parsePattern } from '../../src/core/warm/pattern.js';
import { rowShape } from '../../src/core/warm/values.js';

const entry: WarmEntry = {
  name: 'big',
  tier: 1,
  ttlMs: 60_000,
  jitter: 0,
  format: 'string',
  onlyMissing: false,
  origin: {},
  source: { kind: 'keys', keysFile: 'big.txt', pattern: parsePattern('p:{id}'), fetch: 'f' },
};

/** 100 keys whose values are 400 KB, from a key list asked for its batch size before each batch; the cache holds the same values. */
async function drift(options: Partial<DriftOptions>): Promise<{ fetches: number[]; compared: number; equal: number }> {
  const value = (id: string) => `${id}:`.padEnd(400_000, 'x');
  const ids = Array.from({ length: 100 }, (_, i) => String(i + 1));
  const fetches: number[] = [];
  const ports: DriftPorts = {
    keys: {
      async *open(_entry, _skip, _proof, size): AsyncIterable<KeyLineBatch> {
        for (let i = 0; i < ids.length;) {
          const n = size ? size() : 100;
          const part = ids.slice(i, i + n);
          yield { keys: part.map((id) => `p:${id}`), lines: part.map((_, j) => i + j + 1) };
          i += n;
        }
      },
      count: async () => ids.length,
    },
    rows: {
      async fetch(_entry, params) {
        const wanted = params[0] as string[];
        fetches.push(wanted.length);
        return { rows: wanted.map((id) => [id, value(id)]), shape: rowShape(['id', 'value']), invalid: [] };
      },
      async *stream() {},
      estimate: async () => undefined,
    },
  };
  const source = {
    topology: { kind: 'single' },
    readValues: async (keys: readonly string[]) => keys.map((key) => ({ key, node: 0, state: 'found' as const, value: value(key.slice(2)) })),
  } as unknown as InspectSource;
  const base: DriftOptions = { entries: [entry], fromList: true, batchSize: 2000, concurrency: 2, rate: 0, scanCount: 100, staleSuffix: ':stale', examples: 0 };
  const report = await inspectDrift(source, ports, { ...base, ...options }, []);
  const e = report.entries[0]!;
  return { fetches, compared: e.compared, equal: e.equal };
}

test("inspect drift sizes its fetches by their values' bytes, as warm does: 400 KB values come about 16 MiB a fetch, not 2,000 keys", async () => {
  const sized = await drift({ fetchBytes: { target: 16 * 2 ** 20, firstKeys: 4 } });
  assert.equal(sized.compared, 100);
  assert.equal(sized.equal, 100);
  assert.equal(
    sized.fetches.reduce((a, b) => a + b, 0),
    100,
  );
  // The first fetches before any came back are small; then about 16 MiB / 400 KB = 41 keys each.
  assert.ok(sized.fetches.length >= 3, `fetches ${sized.fetches.join(',')}`);
  assert.ok(Math.max(...sized.fetches) <= 42, `fetches ${sized.fetches.join(',')}`);
  assert.ok(Math.max(...sized.fetches) >= 30, `the size was learnt from the fetches: ${sized.fetches.join(',')}`);
  // --batch-size given: fetches of that many keys, as before.
  const fixed = await drift({});
  assert.deepEqual(fixed.fetches, [100]);
  assert.equal(fixed.equal, 100);
});
