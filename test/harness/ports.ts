import { portIsFree } from '../../src/adapters/sandbox/ports.js';

const claimed = new Set<number>();

/**
 * A free port whose cluster bus port (+10000) is free too, both below the ephemeral range
 * (32768+) so the kernel never hands them to an outgoing connection meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 12000 + Math.floor(Math.random() * 10000);
    if (claimed.has(port)) continue;
    // Claimed before the await: startCluster asks for several ports at once.
    claimed.add(port);
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) return port;
    claimed.delete(port);
  }
  throw new Error('no free port pair found in 12000-21999');
}
