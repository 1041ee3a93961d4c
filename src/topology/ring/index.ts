/**
 * PLACEHOLDER until the ring work lands: a ring Topology per compatibility profile.
 * See issue 2 ("The hash ring must be exact").
 */
import type { Topology } from '../types.js';
import type { RingSpec } from './types.js';
export type { RingSpec, RingServer, RingCompat, KeyHash } from './types.js';

export interface RingTopology extends Topology {
  readonly kind: 'ring';
  readonly spec: RingSpec;
  /** Each node's exact share of the hash space (sums to 1). */
  arcShares(): number[];
}

export function createRingTopology(_spec: RingSpec): RingTopology {
  throw new Error('ring topology not implemented yet');
}

/** Parses `host:port[:weight] [name]` entries separated by commas. */
export function parseRingServers(_text: string): RingSpec['servers'] {
  throw new Error('ring parsing not implemented yet');
}

/** Reads a twemproxy (nutcracker) YAML configuration and returns the chosen pool's ring. */
export function ringSpecFromTwemproxyYaml(_yamlText: string, _file: string, _pool?: string): RingSpec {
  throw new Error('twemproxy config not implemented yet');
}
