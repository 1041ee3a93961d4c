/**
 * Port choice for the sandbox: predictable numbers (the first free ones from a base, so a
 * newcomer sees the same ports every day), each with its cluster bus port (+10000) free too,
 * all below the kernel's ephemeral range so an outgoing connection never takes one meanwhile.
 */
import { createServer } from 'node:net';

/** Ports from 32768 up may be handed to outgoing connections (Linux default ephemeral range). */
export const EPHEMERAL_START = 32768;

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port passed over, and why: the sandbox says so instead of moving silently. */
export interface SkippedPort {
  port: number;
  reason: string;
}

/**
 * `count` ports from `base` upwards that are free (and, with `busPorts`, whose +10000 is free),
 * skipping `taken`. Throws when the range below the ephemeral ports is exhausted. The tests'
 * freePort is this search from a random base.
 */
export async function findFreePorts(
  base: number,
  count: number,
  options: { busPorts?: boolean; taken?: Set<number>; skipped?: SkippedPort[] } = {},
): Promise<number[]> {
  const found: number[] = [];
  const taken = options.taken ?? new Set<number>();
  const limit = options.busPorts ? EPHEMERAL_START - 10000 : EPHEMERAL_START;
  for (let port = base; port < limit && found.length < count; port++) {
    if (taken.has(port) || (options.busPorts && taken.has(port + 10000))) continue;
    // Claimed before the await, so concurrent searches in this process never pick the same port.
    taken.add(port);
    if (options.busPorts) taken.add(port + 10000);
    const portFree = await portIsFree(port);
    const busFree = portFree && (!options.busPorts || (await portIsFree(port + 10000)));
    if (busFree) {
      found.push(port);
      continue;
    }
    options.skipped?.push({ port, reason: portFree ? `its cluster bus port ${port + 10000} is in use` : 'it is in use by another process' });
    taken.delete(port);
    if (options.busPorts) taken.delete(port + 10000);
  }
  if (found.length < count) throw new Error(`no ${count} free ports from ${base} below ${limit}`);
  return found;
}
