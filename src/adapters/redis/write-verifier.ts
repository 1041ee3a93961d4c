/**
 * --verify: reads back what was written, on the node that owns it, and reports keys that are
 * missing or have no TTL (when they should). `all` checks every pipeline right after it is
 * written (memory stays bounded); a sample size keeps a reservoir and checks it at the end.
 */
import type { Redis } from 'ioredis';
import type { CacheNode, Topology } from '../../topology/types.js';
import type { WriteReport } from '../../core/warm/ports.js';
import type { Items } from './write-items.js';

interface VerifyLink {
  readonly topology: Topology;
  clientFor(node: CacheNode): Redis;
}

export class WriteVerifier {
  private pendingKeys: string[] = [];
  private pendingTtl: boolean[] = [];
  private readonly sample: { key: string; ttl: boolean }[] = [];
  private seen = 0;
  private readonly inline = new Set<Promise<void>>();

  constructor(
    private readonly cache: VerifyLink,
    private readonly report: WriteReport,
    private readonly mode: 'none' | 'all' | number,
  ) {}

  /** Item i of `items` was just written to `node`. */
  written(_node: CacheNode, items: Items, i: number): void {
    if (this.mode === 'none') return;
    const key = items.keys[i] as string;
    const ttl = (items.ttls[i] as number) >= 0;
    if (this.mode === 'all') {
      this.pendingKeys.push(key);
      this.pendingTtl.push(ttl);
      return;
    }
    // Reservoir sampling: every written key has the same chance to be checked.
    this.seen++;
    if (this.sample.length < this.mode) this.sample.push({ key, ttl });
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.mode) this.sample[j] = { key, ttl };
    }
  }

  /** --verify (all): checks the keys just written to `node`. Fire and forget; counted on reply. */
  flushInline(node: CacheNode): void {
    if (this.mode !== 'all' || this.pendingKeys.length === 0) return;
    const keys = this.pendingKeys;
    const ttls = this.pendingTtl;
    this.pendingKeys = [];
    this.pendingTtl = [];
    const check = this.check(node, keys, ttls).finally(() => this.inline.delete(check));
    this.inline.add(check);
  }

  async finishVerify(): Promise<void> {
    while (this.inline.size > 0) await Promise.all([...this.inline]);
    const byNode = new Map<CacheNode, { keys: string[]; ttls: boolean[] }>();
    for (const { key, ttl } of this.sample) {
      const node = this.cache.topology.nodes[this.cache.topology.nodeIndexOf(key)];
      if (!node) {
        this.report.verified(key, '(no node)', 'missing');
        continue;
      }
      let group = byNode.get(node);
      if (!group) byNode.set(node, (group = { keys: [], ttls: [] }));
      group.keys.push(key);
      group.ttls.push(ttl);
    }
    await Promise.all([...byNode].map(([node, g]) => this.check(node, g.keys, g.ttls)));
  }

  private async check(node: CacheNode, keys: string[], ttls: boolean[]): Promise<void> {
    const p = this.cache.clientFor(node).pipeline();
    for (const key of keys) p.pttl(key);
    let results: [Error | null, unknown][];
    try {
      results = (await p.exec()) ?? [];
    } catch {
      for (const key of keys) this.report.verified(key, node.name, 'missing');
      return;
    }
    for (let i = 0; i < keys.length; i++) {
      const [error, reply] = results[i] ?? [new Error('no reply'), null];
      const pttl = Number(reply);
      const problem = error || pttl === -2 ? 'missing' : ttls[i] && pttl === -1 ? 'noTtl' : undefined;
      this.report.verified(keys[i] as string, node.name, problem);
    }
  }
}
