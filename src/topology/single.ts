import type { CacheNode, Topology } from './types.js';

/** One standalone node owns every key. */
export class SingleNodeTopology implements Topology {
  readonly kind = 'single' as const;
  readonly nodes: readonly CacheNode[];
  constructor(node: CacheNode) {
    this.nodes = [node];
  }
  nodeIndexOf(_key: string): number {
    return 0;
  }
  nodeIndexOfBytes(_bytes: Uint8Array, _start: number, _len: number): number {
    return 0;
  }
  describe(_key: string): Record<string, string | number> {
    return {};
  }
}
