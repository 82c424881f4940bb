/**
 * Staff change a ticket's status or assignee (`PATCH /tickets/{id}`, `concierge tickets update`). Each change
 * is one atomic write with its event and the assignees' open-ticket counts; a change that races another is
 * read again and retried, and a change to what the ticket already is writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { RosterStore } from '../ports/roster-store';
import type { SlaFieldsChange, TicketStore } from '../ports/ticket-store';
import type { SlaPolicy } from '../sla/policy';
import type { Category, Priority, Ticket, TicketEvent, TicketStatus } from './model';
import { advanceSla } from './sla-state';
import { slaClocksOf } from '../sla/track';

export const TICKET_STATUSES = ['open', 'waiting-on-customer', 'closed'] as const satisfies readonly TicketStatus[];

/** `assignee: null` unassigns. A priority or category change recomputes the due times. */
export interface TicketChange {
  status?: TicketStatus;
  assignee?: string | null;
  priority?: Priority;
  category?: Category;
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
  store: Pick<TicketStore, 'getTicket' | 'assignTicket' | 'changeStatus' | 'writeTicketSla'>;
  roster: Pick<RosterStore, 'getStaff'>;
  slaPolicy: SlaPolicy;
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
    if (change.priority && change.priority !== 'urgent' && (change.category ?? ticket.category) === 'security') {
      throw new TicketChangeError('priority', 'a security ticket is always urgent; change its category first');
    }
    const at = now().toISOString();
    if (change.assignee !== undefined && (change.assignee ?? undefined) !== ticket.assignee) {
      const to = change.assignee ?? undefined;
      const type = !to ? 'unassigned' : ticket.assignee ? 'reassigned' : 'assigned';
      const detail = { ...(ticket.assignee ? { from: ticket.assignee } : {}), ...(to ? { to } : {}) };
      const result = await deps.store.assignTicket(ticket, to, { ticketId: ticket.id, at, key: randomUUID(), type, actor, detail });
      if (result === 'unknown-staff') throw new TicketChangeError('assignee', `no staff member ${to}`);
      if (result === 'changed-meanwhile') continue;
      // The status, priority or category change, if any, reads the ticket again.
      if ((change.status !== undefined && change.status !== ticket.status) || changesSlaFields(change, ticket)) continue;
      return (await deps.store.getTicket(ticketId))!;
    }
    if (change.status !== undefined && change.status !== ticket.status) {
      // Waiting on the customer pauses resolution, closing stops every clock, reopening starts the next response.
      const sla = advanceSla(ticket, [{ type: 'status', at, status: change.status }], now(), deps.slaPolicy);
      const result = await deps.store.changeStatus(ticket, change.status, { ticketId: ticket.id, at, key: randomUUID(), type: 'status-changed', actor, detail: { from: ticket.status, to: change.status } }, sla ? { sla } : {});
      if (result !== 'changed') continue;
      if (changesSlaFields(change, ticket)) continue;
      return (await deps.store.getTicket(ticketId))!;
    }
    if (changesSlaFields(change, ticket)) {
      const priority = change.category === 'security' ? 'urgent' : change.priority;
      const fields: { priority?: Priority; category?: Category } = { ...(priority && priority !== ticket.priority ? { priority } : {}), ...(change.category && change.category !== ticket.category ? { category: change.category } : {}) };
      const events: TicketEvent[] = [
        ...(fields.priority ? [{ ticketId: ticket.id, at, key: randomUUID(), type: 'priority-changed' as const, actor, detail: { from: ticket.priority, to: fields.priority } }] : []),
        ...(fields.category ? [{ ticketId: ticket.id, at, key: randomUUID(), type: 'category-changed' as const, actor, detail: { from: ticket.category ?? 'other', to: fields.category } }] : []),
      ];
      if (events.length === 0) return ticket;
      // The new priority's targets apply from each clock's start: a raise can make a ticket due, or late, at once.
      const sla = fields.priority ? advanceSla(ticket, [{ type: 'priority', at, priority: fields.priority }], now(), deps.slaPolicy) : advanceSla(ticket, [], now(), deps.slaPolicy);
      // The promise shown beside the clocks moves with them while the first response is still owed.
      const firstResponse = sla?.track.firstResponse && !sla.track.firstResponse.stopped ? slaClocksOf(sla.track, now(), deps.slaPolicy).firstResponse?.dueAt : undefined;
      const result = await deps.store.writeTicketSla(ticket, { ...fields, updatedAt: at, ...(firstResponse ? { firstResponseDueAt: firstResponse } : {}) }, sla, events);
      if (result === 'changed-meanwhile') continue;
      return (await deps.store.getTicket(ticketId))!;
    }
    return ticket;
  }
  throw new Error(`ticket ${ticketId} kept changing under this update; try again`);
}

/** Whether `change` sets a priority or category the ticket does not have (a security category makes it urgent). */
function changesSlaFields(change: TicketChange, ticket: Ticket): boolean {
  const priority = change.category === 'security' ? 'urgent' : change.priority;
  return (priority !== undefined && priority !== ticket.priority) || (change.category !== undefined && change.category !== ticket.category);
}

/**
 * A customer's follow-up held a secret: the ticket is flagged `secret-exposed` and becomes a security matter,
 * urgent, with its due times moved as a priority change moves them; the `secret-redacted` event (keyed by the
 * delivery) says which kinds were removed. A redelivery finds it done and writes only the event again.
 */
export async function markSecretExposed(
  ticketId: string,
  redaction: { kinds: readonly string[]; where: readonly string[]; cause: string; at: string },
  deps: Pick<UpdateTicketDependencies, 'store' | 'slaPolicy' | 'now'> & { store: Pick<TicketStore, 'recordEvent'> },
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const redacted: TicketEvent = { ticketId, at: redaction.at, key: `secret-redacted:${redaction.cause}`, type: 'secret-redacted', actor: 'customer', detail: { kinds: redaction.kinds.join(','), where: redaction.where.join(',') } };
  for (let attempt = 0; attempt <= MAX_RACE_RETRIES; attempt += 1) {
    const ticket = await deps.store.getTicket(ticketId);
    if (!ticket) throw new TicketNotFoundError(`no ticket ${ticketId}`);
    const flags = ticket.flags.includes('secret-exposed') ? undefined : [...ticket.flags, 'secret-exposed' as const];
    const priority: Priority | undefined = ticket.priority === 'urgent' ? undefined : 'urgent';
    const category: Category | undefined = ticket.category === 'security' ? undefined : 'security';
    if (!flags && !priority && !category) {
      await deps.store.recordEvent(redacted);
      return;
    }
    const at = now().toISOString();
    const events: TicketEvent[] = [
      redacted,
      ...(priority ? [{ ticketId, at, key: `priority-changed:${redaction.cause}`, type: 'priority-changed' as const, actor: 'secret-detection', detail: { from: ticket.priority, to: priority } }] : []),
      ...(category ? [{ ticketId, at, key: `category-changed:${redaction.cause}`, type: 'category-changed' as const, actor: 'secret-detection', detail: { from: ticket.category ?? 'other', to: category } }] : []),
    ];
    const sla = priority ? advanceSla(ticket, [{ type: 'priority', at, priority }], now(), deps.slaPolicy) : advanceSla(ticket, [], now(), deps.slaPolicy);
    const firstResponse = sla?.track.firstResponse && !sla.track.firstResponse.stopped ? slaClocksOf(sla.track, now(), deps.slaPolicy).firstResponse?.dueAt : undefined;
    const change: SlaFieldsChange = { ...(priority ? { priority } : {}), ...(category ? { category } : {}), ...(flags ? { flags } : {}), updatedAt: at, ...(firstResponse ? { firstResponseDueAt: firstResponse } : {}) };
    if ((await deps.store.writeTicketSla(ticket, change, sla, events)) === 'changed') return;
  }
  throw new Error(`ticket ${ticketId} kept changing while it was flagged secret-exposed`);
}
