/**
 * Staff change a ticket's status or assignee (`PATCH /tickets/{id}`, `concierge tickets update`). Each change
 * is one atomic write with its event and the assignees' open-ticket counts; a change that races another is
 * read again and retried, and a change to what the ticket already is writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { RosterStore } from '../ports/roster-store';
import type { TicketStore } from '../ports/ticket-store';
import type { Ticket, TicketStatus } from './model';

export const TICKET_STATUSES = ['open', 'waiting-on-customer', 'closed'] as const satisfies readonly TicketStatus[];

/** `assignee: null` unassigns. */
export interface TicketChange {
  status?: TicketStatus;
  assignee?: string | null;
}

/** A change the caller asked for that cannot be made; `field` names what was wrong. */
export class TicketChangeError extends Error {
  override readonly name = 'TicketChangeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class TicketNotFoundError extends Error {
  override readonly name = 'TicketNotFoundError';
}

/** Reads and retries after this many changes that raced another writer, then gives up. */
const MAX_RACE_RETRIES = 5;

export interface UpdateTicketDependencies {
  store: Pick<TicketStore, 'getTicket' | 'assignTicket' | 'changeStatus'>;
  roster: Pick<RosterStore, 'getStaff'>;
  now?: () => Date;
}

/** Applies `change` on behalf of `actor` (a staff id, `api` or `cli`) and returns the ticket as it now is. */
export async function updateTicket(ticketId: string, change: TicketChange, actor: string, deps: UpdateTicketDependencies): Promise<Ticket> {
  const now = deps.now ?? (() => new Date());
  if (change.assignee) {
    const staff = await deps.roster.getStaff(change.assignee);
    if (!staff) throw new TicketChangeError('assignee', `no staff member ${change.assignee}`);
  }
  for (let attempt = 0; attempt <= MAX_RACE_RETRIES; attempt += 1) {
    const ticket = await deps.store.getTicket(ticketId);
    if (!ticket) throw new TicketNotFoundError(`no ticket ${ticketId}`);
    const at = now().toISOString();
    if (change.assignee !== undefined && (change.assignee ?? undefined) !== ticket.assignee) {
      const to = change.assignee ?? undefined;
      const type = !to ? 'unassigned' : ticket.assignee ? 'reassigned' : 'assigned';
      const detail = { ...(ticket.assignee ? { from: ticket.assignee } : {}), ...(to ? { to } : {}) };
      const result = await deps.store.assignTicket(ticket, to, { ticketId: ticket.id, at, key: randomUUID(), type, actor, detail });
      if (result === 'unknown-staff') throw new TicketChangeError('assignee', `no staff member ${to}`);
      if (result === 'changed-meanwhile') continue;
      // The status change, if any, reads the ticket again.
      if (change.status !== undefined && change.status !== ticket.status) continue;
      return (await deps.store.getTicket(ticketId))!;
    }
    if (change.status !== undefined && change.status !== ticket.status) {
      const result = await deps.store.changeStatus(ticket, change.status, { ticketId: ticket.id, at, key: randomUUID(), type: 'status-changed', actor, detail: { from: ticket.status, to: change.status } });
      if (result !== 'changed') continue;
      return (await deps.store.getTicket(ticketId))!;
    }
    return ticket;
  }
  throw new Error(`ticket ${ticketId} kept changing under this update; try again`);
}
