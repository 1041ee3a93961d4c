/**
 * --dry-run: everything is fetched and validated, nothing is written. This writer routes each
 * key with the real topology and reports what would be written where (keys, bytes, samples).
 */
import type { Topology } from '../../topology/types.js';
import { KEY_IN_KEYS, type CacheWriter, type Ticket, type WriteBatch, type WriteReport } from './ports.js';
import { valueBytes } from './validate.js';
import { owningNodes } from './route.js';

const decoder = new TextDecoder();

function textOf(bytes: Uint8Array, at: number, length: number): string {
  return decoder.decode(bytes.subarray(at, at + length));
}

export class DryRunWriter implements CacheWriter {
  constructor(
    private readonly topology: Topology,
    private readonly report: WriteReport,
  ) {}

  get nodeNames(): readonly string[] {
    return this.topology.nodes.map((n) => n.name);
  }

  async write(batch: WriteBatch): Promise<void> {
    const owners = owningNodes(this.topology, batch.keys, batch.chunks, batch.spans);
    for (let i = 0; i < batch.keys.length; i++) {
      const chunk = batch.chunks?.[i];
      const spans = batch.spans as ArrayLike<number>;
      // A streamed row's key and value are bytes: text only here, where the dry run reports them.
      const keyLength = chunk ? (spans[4 * i + 1] as number) : KEY_IN_KEYS;
      const key = chunk && keyLength !== KEY_IN_KEYS ? textOf(chunk, spans[4 * i] as number, keyLength) : (batch.keys[i] as string);
      const node = this.topology.nodes[owners[i] as number];
      const ticket = batch.tickets[i] as Ticket;
      if (!node) {
        this.report.failed(ticket, key, 'slot not served by any master');
        continue;
      }
      const ttl = batch.ttls[i] as number;
      this.report.planned?.(key, node.name, ttl < 0 ? null : ttl);
      this.report.written(
        ticket,
        1,
        batch.stale[i] ? 1 : 0,
        node.name,
        chunk ? (spans[4 * i + 3] as number) : valueBytes(batch.values[i] as string | string[]),
      );
    }
  }

  async drain(): Promise<void> {}

  async finishVerify(): Promise<void> {}
}
