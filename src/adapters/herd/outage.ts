/**
 * The outage trigger: the key's node becomes unavailable for a set time, really and reversibly.
 *
 * pause: CLIENT PAUSE <ms> ALL on the node. Redis itself ends the pause at its deadline, so a
 * drill that is interrupted or killed can never leave the node paused (and cannot end it early
 * either: CLIENT UNPAUSE is paused like every other command). Every client of the node stalls,
 * so a node with connections other than the drill's needs --yes.
 *
 * refuse: the drill's clients reach the node through a relay on this machine; for the outage the
 * relay drops their connections and refuses new ones. The node and its other clients see nothing.
 */
import type { CacheConnection } from '../redis/cache.js';
import { UsageError } from '../../errors.js';
import type { OutageWindow } from '../../core/herd/outage.js';
import { wallClock } from './clock.js';
import { NodeRelay } from './relay.js';
import type { OutageOptions } from '../../core/herd/drill-types.js';

export type { OutageOptions } from '../../core/herd/drill-types.js';

export class DrillOutage {
  private constructor(
    private readonly control: CacheConnection,
    private readonly nodeIndex: number,
    readonly options: OutageOptions,
    private readonly relay: NodeRelay | undefined,
    readonly nodeAddress: string,
  ) {}

  /** Checks the node may be paused, or starts the relay; call before the clients connect. */
  static async prepare(control: CacheConnection, key: string, connectionName: string, options: OutageOptions): Promise<DrillOutage> {
    const index = control.topology.nodeIndexOf(key);
    const node = control.topology.nodes[index];
    if (!node) throw new UsageError(`--trigger outage: no node serves ${key}`);
    if (options.mode === 'refuse') {
      const relay = new NodeRelay({ host: node.host, port: node.port });
      await relay.up();
      return new DrillOutage(control, index, options, relay, node.address);
    }
    if (!options.yes) {
      const others = otherClients(String(await control.client(index).call('CLIENT', 'LIST', 'TYPE', 'normal')), connectionName);
      if (others > 0) {
        throw new UsageError(
          `--trigger outage: CLIENT PAUSE stalls every client of ${node.address}, and ${others} other connection${others === 1 ? ' is' : 's are'} open there; ` +
            "confirm with --yes, or use --outage-mode refuse (only the drill's own connections see the outage)",
        );
      }
    }
    return new DrillOutage(control, index, options, undefined, node.address);
  }

  /** The relay the clients must connect through (refuse mode). */
  get via(): Record<string, { host: string; port: number }> | undefined {
    return this.relay ? { [this.nodeAddress]: { host: '127.0.0.1', port: this.relay.port } } : undefined;
  }

  /**
   * Waits the lead time, takes the node away for the duration, brings it back. A stop during the
   * lead skips the outage; a stop during a refuse outage ends it at once; a pause ends at its deadline.
   */
  async run(stop: AbortSignal): Promise<OutageWindow | undefined> {
    await wallClock.sleep(this.options.leadMs, stop);
    if (stop.aborted) return undefined;
    const startedAt = wallClock.now();
    if (this.relay) {
      await this.relay.down();
      await wallClock.sleep(this.options.durationMs, stop);
      await this.relay.up();
      return { startedAt, endedAt: wallClock.now() };
    }
    await this.control.client(this.nodeIndex).call('CLIENT', 'PAUSE', String(Math.round(this.options.durationMs)), 'ALL');
    const endsAt = startedAt + this.options.durationMs;
    await wallClock.sleep(endsAt - wallClock.now(), stop);
    return { startedAt, endedAt: endsAt };
  }

  async close(): Promise<void> {
    await this.relay?.close();
  }
}

/** Normal connections in a CLIENT LIST reply that are not the drill's own. */
export function otherClients(list: string, connectionName: string): number {
  return list
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !new RegExp(`(^| )name=${connectionName}( |$)`).test(line)).length;
}
