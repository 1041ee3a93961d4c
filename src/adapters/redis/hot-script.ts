/**
 * The hot-keys script of `inspect hotkeys`: one SCAN batch, OBJECT FREQ (LFU policies) or OBJECT
 * IDLETIME (otherwise) of each key, and only the keys that beat the client's current floor (the
 * N-th best so far) come back, so a million keys are not parsed to keep a hundred. OBJECT does
 * not touch the key (no LRU/LFU update).
 *
 * Reply: [cursor, sec, usec, scanned, key1, score1, key2, score2, ...]
 */
import { createHash } from 'node:crypto';
import type { HotBatch } from '../../core/inspect/types.js';
import { serverMs, type ScanScript } from './scan-script.js';

const BODY = `
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local freq = ARGV[4] == 'freq'
local floor = tonumber(ARGV[5])
local t = redis.call('TIME')
local out = {r[1], t[1], t[2], #r[2]}
for _, k in ipairs(r[2]) do
  local v
  if freq then v = redis.pcall('OBJECT', 'FREQ', k) else v = redis.pcall('OBJECT', 'IDLETIME', k) end
  if type(v) == 'number' and ((freq and v > floor) or ((not freq) and v < floor)) then
    out[#out + 1] = k
    out[#out + 1] = v
  end
end
return out
`;

export function hotScriptFor(redis7: boolean): ScanScript {
  const text = redis7 ? `#!lua flags=no-writes,allow-cross-slot-keys\n${BODY}` : BODY;
  return { text, sha: createHash('sha1').update(text).digest('hex'), absolute: redis7 };
}

export function hotFromReply(reply: readonly unknown[]): [string, HotBatch] {
  const keys: string[] = [];
  const scores: number[] = [];
  for (let i = 4; i + 1 < reply.length; i += 2) {
    keys.push(String(reply[i]));
    scores.push(Number(reply[i + 1]));
  }
  return [String(reply[0]), { size: Number(reply[3]), serverNowMs: serverMs(reply[1], reply[2]), keys, scores }];
}
