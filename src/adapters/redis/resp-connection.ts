/**
 * A bare pipelining connection to one node for the warm's hot path: a whole pipeline is
 * encoded into one Buffer (RespBuffer) and its replies come back as one array, parsed in place
 * (RespReplyParser: no string per `+OK`). No Command object, promise or callback per key: at
 * hundreds of thousands of keys per second those dominated the profile with ioredis pipelines. Topology reads, verify and everything else still go through ioredis.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RespReplyParser } from './resp-reply-parser.js';
import type { CacheNode } from '../../topology/types.js';
import { RespBuffer } from './resp-buffer.js';
import { tlsOptionsFor } from './tls.js';
import type { TlsSettings } from '../../config/target.js';

export interface RespAuth {
  username?: string;
  password?: string;
  db?: number;
  tls?: boolean;
  tlsSettings?: TlsSettings;
}

/** A reply value, or an Error for an error reply (`-MOVED ...`, `-OOM ...`). */
export type Reply = unknown;

interface Pending {
  count: number;
  /** Allocated at `count` and filled in order (pushed, the growing array was garbage of its own). */
  replies: Reply[];
  filled: number;
  resolve(replies: Reply[]): void;
  reject(error: Error): void;
}

export class RespConnection {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly queue: Pending[] = [];
  private head = 0;
  /** Successful dials so far: a new value means a new connection (the node may have restarted). */
  dials = 0;

  constructor(
    readonly node: CacheNode,
    private readonly auth: RespAuth,
    private readonly connectTimeoutMs: number,
    /** Longest silence while pipelines wait for replies before the connection is dropped. */
    private readonly replyTimeoutMs: number,
  ) {}

  /** Sends an encoded pipeline; resolves with its `count` replies in order. */
  async send(payload: RespBuffer): Promise<Reply[]> {
    const socket = await this.open();
    return this.enqueue(socket, payload.bytes(), payload.replies, () => payload.release());
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** `written`: called once the socket no longer needs `bytes` (written, or the socket failed). */
  private enqueue(socket: Socket, bytes: Buffer, count: number, written?: () => void): Promise<Reply[]> {
    return new Promise<Reply[]>((resolve, reject) => {
      this.queue.push({ count, replies: new Array<Reply>(count), filled: 0, resolve, reject });
      socket.write(bytes, written);
    });
  }

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= this.dial().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async dial(): Promise<Socket> {
    const { host, port } = this.node;
    const tls = tlsOptionsFor(this.auth, host);
    const where = this.node.socket ? { path: this.node.socket } : { host, port };
    const socket = tls ? tlsConnect({ ...where, ...tls }) : netConnect(where);
    socket.setNoDelay(true);
    socket.setTimeout(this.connectTimeoutMs);
    const parser = new RespReplyParser(
      (reply) => this.onReply(reply),
      (error) => socket.destroy(error),
    );
    socket.on('data', (chunk: Buffer) => parser.execute(chunk));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.failAll(new Error(`Connection is closed (${this.node.address})`));
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      socket.once('error', onError);
      const onTimeout = () => socket.destroy(Object.assign(new Error(`connect ETIMEDOUT ${this.node.address}`), { code: 'ETIMEDOUT' }));
      socket.once('timeout', onTimeout);
      socket.once(this.auth.tls ? 'secureConnect' : 'connect', () => socket.off('timeout', onTimeout));
      socket.once(this.auth.tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', onError);
        resolve();
      });
    });
    // From here the timeout guards replies: a node that stops answering while pipelines wait
    // is dropped (they fail over to the retry policy); an idle connection is left alone.
    socket.setTimeout(this.replyTimeoutMs);
    socket.on('timeout', () => {
      if (this.queue.length > this.head) socket.destroy(new Error(`no reply from ${this.node.address} for ${this.replyTimeoutMs}ms (ETIMEDOUT)`));
    });
    const setup = new RespBuffer();
    if (this.auth.password !== undefined) {
      if (this.auth.username !== undefined) setup.command3('AUTH', this.auth.username, this.auth.password);
      else setup.command2('AUTH', this.auth.password);
    }
    if (this.auth.db !== undefined && this.auth.db !== 0) setup.command2('SELECT', String(this.auth.db));
    // No CLIENT SETNAME: proxies such as twemproxy close the connection on commands they lack.
    const replies = setup.replies > 0 ? await this.enqueue(socket, setup.bytes(), setup.replies) : [];
    const failure = replies.find((r) => r instanceof Error);
    if (failure) {
      socket.destroy();
      throw failure;
    }
    this.socket = socket;
    this.dials++;
    return socket;
  }

  private onReply(reply: unknown): void {
    const pending = this.queue[this.head];
    if (!pending) return;
    pending.replies[pending.filled++] = reply;
    if (pending.filled === pending.count) {
      this.queue[this.head] = undefined as unknown as Pending;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      pending.resolve(pending.replies);
    }
  }

  private failAll(error: Error): void {
    const waiting = this.queue.splice(this.head);
    this.queue.length = 0;
    this.head = 0;
    for (const p of waiting) if (p) p.reject(error);
  }
}
