import { findFreePorts } from '../../src/adapters/sandbox/ports.js';

/** Every port this process handed out (and its +10000), never handed out twice. */
const claimed = new Set<number>();

/**
 * A free port whose cluster bus port (+10000) is free too, both below the ephemeral range
 * (32768+) so the kernel never hands them to an outgoing connection meanwhile. The sandbox's
 * search, from a random start: test files running side by side rarely probe the same ports.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const from = 12000 + Math.floor(Math.random() * 10000);
    try {
      const [port] = await findFreePorts(from, 1, { busPorts: true, taken: claimed });
      if (port !== undefined) return port;
    } catch {
      // nothing free from there up to the limit: start elsewhere
    }
  }
  throw new Error('no free port pair found in 12000-22767');
}
