/** TTLs with jitter: ±jitter around the entry's TTL so a rewarm does not expire in one second. */
export function jitteredTtl(ttlMs: number, jitter: number, random: () => number): number {
  if (jitter <= 0) return ttlMs;
  const spread = ttlMs * jitter;
  return Math.max(1, Math.round(ttlMs - spread + random() * 2 * spread));
}
