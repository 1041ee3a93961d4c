/**
 * The overview's per-batch script: the summary reduction of scan-script.ts (counts, expiry
 * times, a few key names) plus full rows of the keys the pattern views need, picked out on the
 * node by prefix/suffix: stampede counters (value), locks (OBJECT IDLETIME, then the value when
 * asked: reading it first would reset the idle time), stale copies. So one SCAN pass feeds every
 * view; the keys that are none of these cost what they cost `inspect ttl`.
 *
 * Reply: [cursor, sec, usec, noTtl, vanished, {}, {sample...}, {expireAt...}, size,
 *         {key, type, expiry, value, ...}, {key, type, expiry, idle, value, ...}, {key, type, expiry, ...}]
 * where the row expiry is PEXPIRETIME (Redis 7+) or PTTL, as in the plain scan script.
 */
import { createHash } from 'node:crypto';
import type { OverviewBatch, OverviewScanRequest } from '../../core/inspect/types.js';
import { FlatBatch, serverMs, summaryFromReply, type ScanScript } from './scan-script.js';

const BODY = `
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local absolute = ARGV[4] == '1'
local sampleLeft = tonumber(ARGV[5])
local counterPrefix, lockPrefix, staleSuffix = ARGV[6], ARGV[7], ARGV[8]
local valueBytes = tonumber(ARGV[9])
local lockValues = ARGV[10] == '1'
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local sample, expiries, counters, locks, stale = {}, {}, {}, {}, {}
local noTtl, vanished = 0, 0
local function value(k, ty)
  if ty ~= 'string' then return false end
  return redis.call('GETRANGE', k, 0, valueBytes - 1)
end
for _, k in ipairs(r[2]) do
  local raw
  if absolute then raw = redis.call('PEXPIRETIME', k) else raw = redis.call('PTTL', k) end
  local e = raw
  if not absolute and e >= 0 then e = nowMs + e end
  if e == -2 then
    vanished = vanished + 1
  else
    if e == -1 then
      noTtl = noTtl + 1
      if #sample < sampleLeft then sample[#sample + 1] = k end
    else
      expiries[#expiries + 1] = e
    end
    if counterPrefix ~= '' and string.sub(k, 1, #counterPrefix) == counterPrefix then
      local ty = redis.call('TYPE', k)['ok']
      local n = #counters
      counters[n + 1], counters[n + 2], counters[n + 3], counters[n + 4] = k, ty, raw, value(k, ty)
    end
    if lockPrefix ~= '' and string.sub(k, 1, #lockPrefix) == lockPrefix then
      local ty = redis.call('TYPE', k)['ok']
      local idle = redis.pcall('OBJECT', 'IDLETIME', k)
      if type(idle) ~= 'number' then idle = -3 end
      local v = false
      if lockValues then v = value(k, ty) end
      local n = #locks
      locks[n + 1], locks[n + 2], locks[n + 3], locks[n + 4], locks[n + 5] = k, ty, raw, idle, v
    end
    if staleSuffix ~= '' and #k > #staleSuffix and string.sub(k, -#staleSuffix) == staleSuffix then
      local n = #stale
      stale[n + 1], stale[n + 2], stale[n + 3] = k, 'string', raw
    end
  end
end
return {r[1], t[1], t[2], noTtl, vanished, {}, sample, expiries, #r[2], counters, locks, stale}
`;

export function overviewScriptFor(redis7: boolean): ScanScript {
  const text = redis7 ? `#!lua flags=no-writes,allow-cross-slot-keys\n${BODY}` : BODY;
  return { text, sha: createHash('sha1').update(text).digest('hex'), absolute: redis7 };
}

export function overviewArgs(request: OverviewScanRequest, cursor: string, count: number, absolute: boolean, sampleLeft: number): string[] {
  return [
    cursor,
    request.match,
    String(count),
    absolute ? '1' : '0',
    String(sampleLeft),
    request.stampedePrefix,
    request.lockPrefix,
    request.staleSuffix,
    String(request.valueBytes ?? 256),
    request.readLockValues ? '1' : '0',
  ];
}

/** A reply as an OverviewBatch: the summary, and the three row lists as columnar batches. */
export function overviewFromReply(reply: readonly unknown[], absolute: boolean): [string, OverviewBatch] {
  const [cursor, summary] = summaryFromReply(reply);
  const now = serverMs(reply[1], reply[2]);
  const rows = (at: number, stride: number, idleAt: number, valueAt: number) =>
    new FlatBatch((reply[at] ?? []) as unknown[], 0, stride, absolute, now, idleAt, valueAt);
  return [cursor, { summary, counters: rows(9, 4, -1, 3), locks: rows(10, 5, 3, 4), staleCopies: rows(11, 3, -1, -1) }];
}
