/**
 * --verify: reads back what was written, on the node that owns it, and reports keys that are
 * missing or have no TTL (when they should). `all` checks every pipeline right after it is
 * written (memory stays bounded); a sample size keeps a reservoir and checks it at the end.
 */
import type { Redis } from 'ioredis';
import { nodeFromAddress, parseHostPort, type CacheNode, type Topology } from '../../topology/types.js';
import { classifyError } from './reply-errors.js';
import type { VerifyProblem, WriteReport } from '../../core/warm/ports.js';
import { keyOf, type Items } from './write-items.js';
import { DEFAULTS } from '../../config/defaults.js';

interface VerifyLink {
  readonly topology: Topology;
  readonly target: { kind: string };
  clientFor(node: CacheNode): Redis;
  refreshTopology?(): Promise<boolean>;
}

export class WriteVerifier {
  private pendingKeys: string[] = [];
  private pendingTtl: boolean[] = [];
  private readonly sample: { key: string; ttl: boolean }[] = [];
  private seen = 0;
  private readonly inline = new Set<Promise<void>>();
  /** Keys that could not be read back while the run went on (node down, failover): read at the end. */
  private deferred: { keys: string[]; ttls: boolean[] } = { keys: [], ttls: [] };
  private finishing = false;

  constructor(
    private readonly cache: VerifyLink,
    private readonly report: WriteReport,
    private readonly mode: 'none' | 'all' | number,
  ) {}

  /** Item i of `items` was just written to `node`. */
  written(_node: CacheNode, items: Items, i: number): void {
    if (this.mode === 'none') return;
    const ttl = (items.ttls[i] as number) >= 0;
    if (this.mode === 'all') {
      this.pendingKeys.push(keyOf(items, i));
      this.pendingTtl.push(ttl);
      return;
    }
    // Reservoir sampling: every written key has the same chance to be checked (its text is made only when it is taken).
    this.seen++;
    if (this.sample.length < this.mode) this.sample.push({ key: keyOf(items, i), ttl });
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.mode) this.sample[j] = { key: keyOf(items, i), ttl };
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
    // After the last write: a node that was failing over or restarting has settled by now.
    this.finishing = true;
    if (this.deferred.keys.length > 0) {
      const { keys, ttls } = this.deferred;
      this.deferred = { keys: [], ttls: [] };
      if (this.cache.refreshTopology) await this.cache.refreshTopology().catch(() => false);
      const owners = this.byOwner(keys, ttls, 'no master serves its slot');
      await Promise.all([...owners].map(([node, g]) => this.check(node, g.keys, g.ttls)));
    }
    const byNode = this.byOwner(
      this.sample.map((s) => s.key),
      this.sample.map((s) => s.ttl),
      'no master serves its slot',
    );
    await Promise.all([...byNode].map(([node, g]) => this.check(node, g.keys, g.ttls)));
  }

  /** Groups keys by their current owner; a key whose slot no master serves is reported unverified. */
  private byOwner(keys: string[], ttls: boolean[], unservedReason: string): Map<CacheNode, { keys: string[]; ttls: boolean[] }> {
    const byNode = new Map<CacheNode, { keys: string[]; ttls: boolean[] }>();
    keys.forEach((key, i) => {
      const owner = this.cache.topology.nodes[this.cache.topology.nodeIndexOf(key)];
      if (!owner) {
        this.report.verified(key, '(no node)', 'unverified', unservedReason);
        return;
      }
      let group = byNode.get(owner);
      if (!group) byNode.set(owner, (group = { keys: [], ttls: [] }));
      group.keys.push(key);
      group.ttls.push(ttls[i] as boolean);
    });
    return byNode;
  }

  /**
   * Reads back `keys` on `node`. A redirect (slot migrated, failover) is followed on the node it
   * names; a transient failure is retried on the current owner. Only a key the server says is
   * absent counts as missing: one that could not be read at all is reported as unverified with
   * the reason, never passed off as lost.
   */
  private async check(node: CacheNode, keys: string[], ttls: boolean[], attempt = 0): Promise<void> {
    const p = this.cache.clientFor(node).pipeline();
    for (const key of keys) p.pttl(key);
    let results: [Error | null, unknown][];
    try {
      results = (await p.exec()) ?? [];
    } catch (error) {
      await this.retry(keys, ttls, attempt, error instanceof Error ? error.message : String(error));
      return;
    }
    const again: { keys: string[]; ttls: boolean[]; reason: string } = { keys: [], ttls: [], reason: '' };
    const redirected = new Map<string, { keys: string[]; ttls: boolean[]; asking: boolean }>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const [error, reply] = results[i] ?? [new Error('no reply'), null];
      if (error) {
        const action = classifyError(error, this.cache.target.kind === 'cluster');
        if ((action.kind === 'moved' || action.kind === 'ask') && attempt < VERIFY_ATTEMPTS) {
          let group = redirected.get(action.address);
          if (!group) redirected.set(action.address, (group = { keys: [], ttls: [], asking: action.kind === 'ask' }));
          group.keys.push(key);
          group.ttls.push(ttls[i] as boolean);
        } else if (action.kind === 'retry') {
          again.keys.push(key);
          again.ttls.push(ttls[i] as boolean);
          again.reason = action.reason;
        } else {
          this.report.verified(key, node.name, 'unverified', action.kind === 'fail' ? action.reason : error.message);
        }
        continue;
      }
      this.settle(key, node.name, Number(reply), ttls[i] as boolean);
    }
    const follow = [...redirected].map(([address, g]) => this.checkRedirected(address, g.keys, g.ttls, g.asking, attempt + 1));
    if (again.keys.length > 0) follow.push(this.retry(again.keys, again.ttls, attempt, again.reason));
    await Promise.all(follow);
  }

  /** After a MOVED or ASK: read on the node the server named (ASKING first for ASK). */
  private async checkRedirected(address: string, keys: string[], ttls: boolean[], asking: boolean, attempt: number): Promise<void> {
    const target = addressToNode(address);
    if (!target) {
      for (const key of keys) this.report.verified(key, address, 'unverified', `redirect to an unparsable address '${address}'`);
      return;
    }
    if (!asking) return this.check(target, keys, ttls, attempt);
    // ASK is per command: each PTTL must follow its own ASKING.
    const p = this.cache.clientFor(target).pipeline();
    for (const key of keys) p.asking().pttl(key);
    try {
      const results = (await p.exec()) ?? [];
      // A read that failed here (the migration finished, a connection dropped) is retried on
      // the key's current owner like any other, not given up on at once.
      const again: { keys: string[]; ttls: boolean[]; reason: string } = { keys: [], ttls: [], reason: '' };
      keys.forEach((key, i) => {
        const [error, reply] = results[2 * i + 1] ?? [new Error('no reply'), null];
        if (!error) this.settle(key, target.name, Number(reply), ttls[i] as boolean);
        else {
          again.keys.push(key);
          again.ttls.push(ttls[i] as boolean);
          again.reason = error.message;
        }
      });
      if (again.keys.length > 0) await this.retry(again.keys, again.ttls, attempt, again.reason);
    } catch (error) {
      await this.retry(keys, ttls, attempt, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * One read-back's verdict. A key found absent while the warm goes on is read again after the
   * last write rather than counted missing at once: the node may have restarted without
   * persistence since, and the writer writes what such a node lost again before the final read.
   */
  private settle(key: string, node: string, pttl: number, ttl: boolean): void {
    const problem = problemOf(pttl, ttl);
    if (problem === 'missing' && this.defer([key], [ttl])) return;
    this.report.verified(key, node, problem);
  }

  /** Keeps keys for the read at the end; false once the run is finishing or the bound is reached. */
  private defer(keys: string[], ttls: boolean[]): boolean {
    if (this.finishing || this.deferred.keys.length + keys.length > DEFAULTS.warm.verifyDeferredKeys) return false;
    this.deferred.keys.push(...keys);
    this.deferred.ttls.push(...ttls);
    return true;
  }

  /** Backs off, re-reads the slot map where there is one, and checks again on each key's current owner. */
  private async retry(keys: string[], ttls: boolean[], attempt: number, reason: string): Promise<void> {
    if (attempt >= VERIFY_ATTEMPTS) {
      // Not given up while the warm goes on: read again once every write is done.
      if (this.defer(keys, ttls)) return;
      for (const key of keys) this.report.verified(key, '(unreachable)', 'unverified', reason);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    if (this.cache.refreshTopology) await this.cache.refreshTopology().catch(() => false);
    const byNode = this.byOwner(keys, ttls, reason);
    await Promise.all([...byNode].map(([owner, g]) => this.check(owner, g.keys, g.ttls, attempt + 1)));
  }
}

/** Read-back attempts per key before it is reported unverified (covers a failover's few seconds). */
const VERIFY_ATTEMPTS = 6;

/** What a PTTL reply says about a key that was written (with a TTL when `ttl`). */
function problemOf(pttl: number, ttl: boolean): VerifyProblem | undefined {
  if (pttl === -2) return 'missing';
  return ttl && pttl === -1 ? 'noTtl' : undefined;
}

function addressToNode(address: string): CacheNode | undefined {
  const hp = parseHostPort(address);
  return hp ? nodeFromAddress(hp.host, hp.port) : undefined;
}
