/**
 * Tracks source batches until every one of their keys is settled, and advances the checkpoint
 * in input order (a batch finishing early does not move the checkpoint past an unfinished one).
 */
import type { Ticket } from './ports.js';
import type { CheckpointHook, ResumeMark, WarmEntry } from './types.js';

interface LedgerTicket extends Ticket {
  done: boolean;
}

export class TicketLedger {
  private readonly open_ = new Map<string, LedgerTicket[]>();

  constructor(
    private readonly checkpoint: CheckpointHook | undefined,
    private readonly onError: (error: unknown) => void,
  ) {}

  open(entry: WarmEntry, entryIndex: number, position: number, mark?: ResumeMark): Ticket {
    const ticket: LedgerTicket = { entry: entry.name, entryIndex, position, remaining: 0, sealed: false, done: false, ...(mark ? { mark } : {}) };
    let queue = this.open_.get(entry.name);
    if (!queue) {
      queue = [];
      this.open_.set(entry.name, queue);
    }
    queue.push(ticket);
    return ticket;
  }

  /** No more keys will be added to this ticket. */
  seal(ticket: Ticket): void {
    ticket.sealed = true;
    if (ticket.remaining === 0) this.complete(ticket as LedgerTicket);
  }

  settle(ticket: Ticket, keys: number): void {
    ticket.remaining -= keys;
    if (ticket.remaining === 0 && ticket.sealed) this.complete(ticket as LedgerTicket);
  }

  private complete(ticket: LedgerTicket): void {
    if (ticket.done) return;
    ticket.done = true;
    const queue = this.open_.get(ticket.entry);
    if (!queue) return;
    let last: LedgerTicket | undefined;
    while (queue.length > 0 && (queue[0] as LedgerTicket).done) last = queue.shift();
    if (last && this.checkpoint) {
      try {
        const pending = this.checkpoint.advance(last.entry, last.position, last.mark);
        if (pending) pending.catch(this.onError);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
