/**
 * The write side of the bench's bare warms (bare-warm.ts, bare-keylist.ts): one socket and one
 * pipeline buffer per cluster master, `SET key value PX ttl` encoded with cachectl's own
 * RespBuffer, 1,000 commands a pipeline, at most 4 pipelines unanswered per node. Replies are only
 * counted (one line each, '-' first for an error), never parsed or matched to keys: no outcomes,
 * retries, MOVED/ASK, failover holds, restart journal or progress. A floor, not a writer.
 */
import { connect, type Socket } from 'node:net';
import { RespBuffer, constantArg } from '../../src/adapters/redis/resp-buffer.js';
import { RespReplyParser } from '../../src/adapters/redis/resp-reply-parser.js';
import { ClusterTopology, type SlotRange } from '../../src/topology/cluster.js';
import { nodeFromAddress } from '../../src/topology/types.js';

const PIPELINE = 1000;
const IN_FLIGHT = 4;
const SET = constantArg('SET');
const PX = constantArg('PX');

function dial(address: string): Promise<Socket> {
  const at = address.lastIndexOf(':');
  const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)), noDelay: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function slotRanges(address: string): Promise<SlotRange[]> {
  const socket = await dial(address);
  try {
    const reply = await new Promise<unknown>((resolve, reject) => {
      const parser = new RespReplyParser(resolve, reject);
      socket.on('data', (chunk: Buffer) => parser.execute(chunk));
      socket.write('*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n');
    });
    return (reply as [number, number, [Buffer | string, number]][]).map(([start, end, [host, port]]) => ({
      start,
      end,
      master: nodeFromAddress(String(host), port),
      replicas: [],
    }));
  } finally {
    socket.destroy();
  }
}

interface Lane {
  socket: Socket;
  buffer: RespBuffer;
  queued: number;
  sent: number;
  answered: number;
  errors: number;
  atLineStart: boolean;
}

export class BareLanes {
  /** Waiters for replies, each with its condition: checked on every reply chunk. */
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  private constructor(
    readonly topology: ClusterTopology,
    private readonly lanes: Lane[],
    private readonly ttl: number,
  ) {}

  static async open(seed: string, ttl: number): Promise<BareLanes> {
    const topology = new ClusterTopology(await slotRanges(seed));
    const lanes = await Promise.all(
      topology.nodes.map(async (node) => ({
        socket: await dial(node.address),
        buffer: new RespBuffer(256 * 1024),
        queued: 0,
        sent: 0,
        answered: 0,
        errors: 0,
        atLineStart: true,
      })),
    );
    const bare = new BareLanes(topology, lanes, ttl);
    for (const lane of lanes) {
      lane.socket.on('data', (chunk: Buffer) => {
        for (let i = 0; i < chunk.length; i++) {
          const b = chunk[i] as number;
          if (lane.atLineStart && b === 45) lane.errors++;
          lane.atLineStart = b === 10;
          if (b === 10) lane.answered++;
        }
        bare.wakeUp();
      });
    }
    return bare;
  }

  /** SET of a key given as bytes (streamed) or as a string (key list), the value as bytes. */
  set(node: number, chunk: Buffer, keyAt: number, keyLength: number, key: string | undefined, valueAt: number, valueLength: number): void {
    const lane = this.lanes[node] as Lane;
    const p = lane.buffer;
    p.begin(5);
    p.constant(SET);
    if (key === undefined) p.bulkBytes(chunk, keyAt, keyLength);
    else p.bulk(key);
    p.bulkBytes(chunk, valueAt, valueLength);
    p.constant(PX);
    p.bulkInteger(this.ttl);
    if (++lane.queued >= PIPELINE) this.flush(lane);
  }

  /** Resolves once no node has more than IN_FLIGHT pipelines unanswered. */
  room(): Promise<void> {
    return this.waitFor(() => this.lanes.every((l) => l.sent - l.answered <= IN_FLIGHT * PIPELINE));
  }

  /** Sends what is queued, waits for every reply, closes; the keys written and the error replies. */
  async finish(): Promise<{ written: number; errors: number }> {
    for (const lane of this.lanes) this.flush(lane);
    await this.waitFor(() => this.lanes.every((l) => l.answered === l.sent));
    let written = 0;
    let errors = 0;
    for (const lane of this.lanes) {
      errors += lane.errors;
      written += lane.answered - lane.errors;
    }
    return { written, errors };
  }

  close(): void {
    for (const lane of this.lanes) lane.socket.destroy();
  }

  private flush(lane: Lane): void {
    if (lane.queued === 0) return;
    lane.socket.write(lane.buffer.bytes());
    lane.sent += lane.queued;
    lane.queued = 0;
    lane.buffer = new RespBuffer(256 * 1024);
  }

  private waitFor(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  private wakeUp(): void {
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (w.done()) w.resolve();
      else this.waiters.push(w);
    }
  }
}
