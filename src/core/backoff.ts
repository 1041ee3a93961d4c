/** Exponential backoff for retries of the warm's reads and writes: doubling from `baseMs`, capped at 5 s, ±25% jitter. */
export function backoffMs(baseMs: number, attempt: number, random: () => number = Math.random): number {
  return Math.round(Math.min(baseMs * 2 ** (attempt - 1), 5_000) * (0.75 + random() * 0.5));
}
