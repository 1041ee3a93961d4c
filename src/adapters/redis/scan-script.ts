/**
 * The per-batch Lua script of `inspect`: one call runs SCAN and reads TYPE and the expiry (and,
 * when asked, OBJECT IDLETIME and the first bytes of the value) of every key it returned. One
 * round trip and one flat reply per batch instead of thousands of replies; time is frozen inside
 * a script, so every TTL of the batch is exact as of the TIME it returns.
 *
 * Reply: [cursor, sec, usec, key1, type1, expiry1, (idle1), (value1), key2, ...] where expiry is
 * PEXPIRETIME (Redis 7+) or PTTL (older), -1 without TTL, -2 when the key is gone.
 */
import { createHash } from 'node:crypto';
import { NO_TTL, VANISHED, type KeyBatch, type SummaryBatch } from '../../core/inspect/types.js';

const BODY = `
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local absolute = ARGV[4] == '1'
local withIdle = ARGV[5] == '1'
local valueBytes = tonumber(ARGV[6])
local t = redis.call('TIME')
local out = {r[1], t[1], t[2]}
local n = 3
for _, k in ipairs(r[2]) do
  local ty = redis.call('TYPE', k)['ok']
  local e
  if absolute then e = redis.call('PEXPIRETIME', k) else e = redis.call('PTTL', k) end
  out[n + 1] = k
  out[n + 2] = ty
  out[n + 3] = e
  n = n + 3
  if withIdle then
    local idle = redis.pcall('OBJECT', 'IDLETIME', k)
    if type(idle) ~= 'number' then idle = -3 end
    n = n + 1
    out[n] = idle
  end
  if valueBytes > 0 then
    n = n + 1
    if ty == 'string' then out[n] = redis.call('GETRANGE', k, 0, valueBytes - 1) else out[n] = false end
  end
end
return out
`;

/**
 * The summary variant: the same SCAN and expiry lookups (TYPE only when asked: it is 40% of the
 * node's work), but the node returns counts, a few key names and the expiry times only: [cursor, sec, usec, noTtl, vanished, {type, n, ...}, {sample...}, {expireAt...}].
 */
const SUMMARY_BODY = `
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local absolute = ARGV[4] == '1'
local sampleLeft = tonumber(ARGV[5])
local withTypes = ARGV[6] == '1'
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local counts, names, sample, expiries = {}, {}, {}, {}
local noTtl, vanished = 0, 0
for _, k in ipairs(r[2]) do
  local e
  if absolute then
    e = redis.call('PEXPIRETIME', k)
  else
    e = redis.call('PTTL', k)
    if e >= 0 then e = nowMs + e end
  end
  if e == -2 then
    vanished = vanished + 1
  else
    if withTypes then
      local ty = redis.call('TYPE', k)['ok']
      if counts[ty] == nil then
        counts[ty] = 0
        names[#names + 1] = ty
      end
      counts[ty] = counts[ty] + 1
    end
    if e == -1 then
      noTtl = noTtl + 1
      if #sample < sampleLeft then sample[#sample + 1] = k end
    else
      expiries[#expiries + 1] = e
    end
  end
end
local types = {}
for _, name in ipairs(names) do
  types[#types + 1] = name
  types[#types + 1] = counts[name]
end
return {r[1], t[1], t[2], noTtl, vanished, types, sample, expiries, #r[2]}
`;

export function summaryScriptFor(redis7: boolean): ScanScript {
  const text = redis7 ? `#!lua flags=no-writes,allow-cross-slot-keys\n${SUMMARY_BODY}` : SUMMARY_BODY;
  return { text, sha: createHash('sha1').update(text).digest('hex'), absolute: redis7 };
}

/** A summary reply as a SummaryBatch. */
export function summaryFromReply(reply: readonly unknown[]): [string, SummaryBatch] {
  const typesFlat = (reply[5] ?? []) as unknown[];
  const types = new Map<string, number>();
  for (let i = 0; i + 1 < typesFlat.length; i += 2) types.set(String(typesFlat[i]), Number(typesFlat[i + 1]));
  return [
    String(reply[0]),
    {
      size: Number(reply[8]),
      serverNowMs: serverMs(reply[1], reply[2]),
      noTtl: Number(reply[3]),
      vanished: Number(reply[4]),
      types,
      noTtlSample: ((reply[6] ?? []) as unknown[]).map(String),
      expireAts: (reply[7] ?? []) as number[],
    },
  ];
}

/** The same reduction on the client, for batches read without scripts. */
export function summaryFromBatch(batch: KeyBatch, sampleSize: number, withTypes: boolean): SummaryBatch {
  const types = new Map<string, number>();
  const noTtlSample: string[] = [];
  const expireAts: number[] = [];
  let noTtl = 0;
  let vanished = 0;
  for (let i = 0; i < batch.size; i++) {
    const type = batch.type(i);
    const e = batch.expireAt(i);
    if (type === 'none' || e === VANISHED) {
      vanished++;
      continue;
    }
    if (withTypes) types.set(type, (types.get(type) ?? 0) + 1);
    if (e === NO_TTL) {
      noTtl++;
      if (noTtlSample.length < sampleSize) noTtlSample.push(batch.key(i));
    } else expireAts.push(e);
  }
  return { size: batch.size, serverNowMs: batch.serverNowMs, types, noTtl, vanished, noTtlSample, expireAts };
}

export interface ScanScript {
  text: string;
  sha: string;
  /** Whether the script reads PEXPIRETIME (absolute) or PTTL. */
  absolute: boolean;
}

/**
 * Redis 7 gets the script flags that let it run while the node is over maxmemory (no-writes) and
 * touch keys of many slots (allow-cross-slot-keys: a SCAN batch spans slots, all of them local).
 */
export function scanScriptFor(redis7: boolean): ScanScript {
  const text = redis7 ? `#!lua flags=no-writes,allow-cross-slot-keys\n${BODY}` : BODY;
  return { text, sha: createHash('sha1').update(text).digest('hex'), absolute: redis7 };
}

/** Columnar view over one flat reply (script or pipeline), without copying it. */
export class FlatBatch implements KeyBatch {
  readonly size: number;

  constructor(
    private readonly flat: readonly unknown[],
    private readonly offset: number,
    private readonly stride: number,
    private readonly absolute: boolean,
    readonly serverNowMs: number,
    private readonly idleAt: number,
    private readonly valueAt: number,
  ) {
    this.size = Math.max(0, Math.floor((flat.length - offset) / stride));
  }

  key(i: number): string {
    return String(this.flat[this.offset + i * this.stride]);
  }

  type(i: number): string {
    return String(this.flat[this.offset + i * this.stride + 1]);
  }

  pttl(i: number): number {
    const e = Number(this.flat[this.offset + i * this.stride + 2]);
    if (!this.absolute || e < 0) return e;
    return Math.max(0, e - this.serverNowMs);
  }

  expireAt(i: number): number {
    const e = Number(this.flat[this.offset + i * this.stride + 2]);
    if (this.absolute || e === NO_TTL || e === VANISHED) return e;
    return this.serverNowMs + e;
  }

  idleSeconds(i: number): number | undefined {
    if (this.idleAt < 0) return undefined;
    const v = Number(this.flat[this.offset + i * this.stride + this.idleAt]);
    return v >= 0 ? v : undefined;
  }

  value(i: number): string | undefined {
    if (this.valueAt < 0) return undefined;
    const v = this.flat[this.offset + i * this.stride + this.valueAt];
    return typeof v === 'string' ? v : undefined;
  }
}

/** Stride and column positions of a reply for the given request. */
export function layoutOf(withIdle: boolean, withValues: boolean): { stride: number; idleAt: number; valueAt: number } {
  let stride = 3;
  const idleAt = withIdle ? stride++ : -1;
  const valueAt = withValues ? stride++ : -1;
  return { stride, idleAt, valueAt };
}

export function serverMs(sec: unknown, usec: unknown): number {
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}
