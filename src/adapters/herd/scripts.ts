/**
 * The Lua scripts of a drill client, loaded on every node a client talks to before the
 * barrier, then run by SHA (EVAL again only if a node restarted and lost them).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Value and remaining TTL in one round trip, read atomically. */
export const READ_WITH_TTL = script(`return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`);

/** Compare-and-delete: only the holder's token releases the lock. */
export const RELEASE_LOCK = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);

/**
 * The stampede counter: INCR and PEXPIRE together, and the expiry re-applied whenever it is
 * missing, so a crash between the two can never leave a counter without a TTL.
 */
export const COUNT_STAMPEDE = script(
  `local n = redis.call('INCR', KEYS[1]) if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`,
);

/** Renews the drill's run marker only while it is still this run's (never revives another's). */
export const RENEW_IF_EQUAL = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`);

/** Deletes a lock only when its token starts with the run's prefix: cleanup of this drill's own locks. */
export const RELEASE_IF_PREFIX = script(
  `local v = redis.call('GET', KEYS[1]) if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);

/**
 * The versioned write-back: SET only when the new value's version is not older than the cached
 * value's nor than the version floor a versioned invalidation left (KEYS[2]). Read and write in
 * one script, so no write can slip in between the check and the SET.
 */
export const WRITE_IF_NEWER = script(
  `local newest = tonumber(redis.call('GET', KEYS[2]) or '-1') or -1 ` +
    `local cur = redis.call('GET', KEYS[1]) ` +
    `if cur then local ok, d = pcall(cjson.decode, cur) if ok and type(d) == 'table' and type(d.ver) == 'number' and d.ver > newest then newest = d.ver end end ` +
    `if tonumber(ARGV[2]) < newest then return 0 end ` +
    `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) return 1`,
);

export const ALL_SCRIPTS = [READ_WITH_TTL, RELEASE_LOCK, COUNT_STAMPEDE, RELEASE_IF_PREFIX, WRITE_IF_NEWER, RENEW_IF_EQUAL];

export async function loadScripts(client: Redis): Promise<void> {
  for (const s of ALL_SCRIPTS) await client.script('LOAD', s.lua);
}

export async function runScript(client: Redis, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && /NOSCRIPT/.test(error.message)) return client.eval(s.lua, keys.length, ...keys, ...args);
    throw error;
  }
}
