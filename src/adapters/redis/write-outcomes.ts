/** Per-chunk bookkeeping of the pipelined writer: outcomes aggregated per ticket, replies grouped by what they ask for. */
import { authOf, type RedisTarget } from '../../config/target.js';
import type { CacheNode } from '../../topology/types.js';
import type { Ticket, WriteReport } from '../../core/warm/ports.js';
import { classifyError } from './reply-errors.js';
import { emptyItems, pushItem, type GrowingItems, type Items } from './write-items.js';
import type { Reply, RespAuth } from './resp-connection.js';

/** Aggregates successes per ticket (consecutive items mostly share one) before reporting. */
export class Outcomes {
  private ticket: Ticket | undefined;
  private keys = 0;
  private stale = 0;
  private bytes = 0;
  private skipTicket: Ticket | undefined;
  private skips = 0;
  private total = 0;

  constructor(
    private readonly report: WriteReport,
    private readonly node: string,
  ) {}

  write(items: Items, i: number, bytes: number): void {
    const ticket = items.tickets[i] as Ticket;
    if (ticket !== this.ticket) this.flushWritten(ticket);
    this.keys++;
    if (items.stale[i]) this.stale++;
    this.bytes += bytes;
  }

  skip(ticket: Ticket): void {
    if (ticket !== this.skipTicket) this.flushSkipped(ticket);
    this.skips++;
  }

  /** Reports what is aggregated; returns how many items were settled in total. */
  flush(): number {
    this.flushWritten(undefined);
    this.flushSkipped(undefined);
    return this.total;
  }

  private flushWritten(next: Ticket | undefined): void {
    if (this.ticket && this.keys > 0) this.report.written(this.ticket, this.keys, this.stale, this.node, this.bytes);
    this.total += this.keys;
    this.ticket = next;
    this.keys = this.stale = this.bytes = 0;
  }

  private flushSkipped(next: Ticket | undefined): void {
    if (this.skipTicket && this.skips > 0) this.report.skipped(this.skipTicket, this.skips);
    this.total += this.skips;
    this.skipTicket = next;
    this.skips = 0;
  }
}

/** Items of a chunk grouped by what their error reply asks for. */
export class Redirects {
  readonly moved = emptyItems();
  readonly ask = new Map<string, GrowingItems>();
  readonly retry = new Map<string, { items: GrowingItems; refresh: boolean }>();
  readonly fail = { items: emptyItems(), reasons: [] as string[] };

  add(items: Items, i: number, error: Error, cluster: boolean): void {
    const action = classifyError(error, cluster);
    if (action.kind === 'moved') pushItem(this.moved, items, i);
    else if (action.kind === 'ask') {
      let group = this.ask.get(action.address);
      if (!group) this.ask.set(action.address, (group = emptyItems()));
      pushItem(group, items, i);
    } else if (action.kind === 'retry') {
      let group = this.retry.get(action.reason);
      if (!group) this.retry.set(action.reason, (group = { items: emptyItems(), refresh: action.refresh }));
      pushItem(group.items, items, i);
    } else {
      pushItem(this.fail.items, items, i);
      this.fail.reasons.push(action.reason);
    }
  }
}

/** Counts a redirect as an attempt, so a slot bouncing between nodes cannot loop forever. */
export function bump(items: Items): Items {
  for (let i = 0; i < items.attempts.length; i++) items.attempts[i] = (items.attempts[i] as number) + 1;
  return items;
}

/** The first error among replies [start, end]; EXECABORT defers to the command that caused it. */
export function firstError(results: Reply[], start: number, end: number): Error | undefined {
  let abort: Error | undefined;
  for (let r = start; r <= end; r++) {
    const reply = results[r];
    if (!(reply instanceof Error)) continue;
    if (reply.message.startsWith('EXECABORT')) abort ??= reply;
    else return reply;
  }
  return abort;
}

/** Credentials for the write connections: from the URL for --redis, else the shared auth flags. */
export function respAuthFor(target: RedisTarget): RespAuth {
  const auth = authOf(target);
  return {
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
    ...(auth.db ? { db: auth.db } : {}),
    tls: auth.tls === true,
    ...(auth.tlsSettings ? { tlsSettings: auth.tlsSettings } : {}),
  };
}

export function nodeAt(address: string): CacheNode {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return { address, host, port, name: address };
}
