/**
 * A ticket's stored SLA (model.ts TicketSlaState) moved on by one event or by the scan's actions (no I/O):
 * the clocks folded, and when the scan must look next recomputed, on every event.
 */
import type { SlaPolicy } from '../sla/policy';
import { markSlaActions, nextSlaCheck, slaView, type SlaAction, type SlaView } from '../sla/schedule';
import { applySlaEvent, emptySlaTrack, slaClocksOf, type SlaEvent } from '../sla/track';
import type { Priority, Ticket, TicketSlaState, Tier } from './model';
import type { SlaTarget } from '../sla/policy';

/** The SLA of a ticket opened by a customer's message at `at`. */
export function openingSlaState(tier: Tier, priority: Priority, at: string, policy: SlaPolicy): TicketSlaState {
  const track = applySlaEvent(emptySlaTrack(tier, priority, at), { type: 'customer-message', at }, policy);
  return withCheck({ track, marks: {}, version: 1 }, new Date(at), policy);
}

/**
 * `ticket`'s SLA after `events` (in the order given), with the version a write of it must find. Undefined for
 * a ticket stored before the SLA engine: its clocks were never started, and an event alone cannot start them.
 */
export function advanceSla(ticket: Pick<Ticket, 'slaState'>, events: readonly SlaEvent[], now: Date, policy: SlaPolicy): TicketSlaState | undefined {
  const state = ticket.slaState;
  if (!state) return undefined;
  let track = state.track;
  for (const event of events) track = applySlaEvent(track, event, policy);
  return withCheck({ track, marks: state.marks, version: state.version + 1 }, now, policy);
}

/** `ticket`'s SLA with the scan's `actions` marked done at `now`. */
export function markSla(state: TicketSlaState, actions: readonly SlaAction[], now: Date, policy: SlaPolicy): TicketSlaState {
  return withCheck({ track: state.track, marks: markSlaActions(state.marks, actions, now.toISOString()), version: state.version + 1 }, now, policy);
}

function withCheck(state: Omit<TicketSlaState, 'checkAt'>, now: Date, policy: SlaPolicy): TicketSlaState {
  const checkAt = nextSlaCheck(state.track, state.marks, now, policy);
  return { ...state, ...(checkAt ? { checkAt } : {}) };
}

/** When the first response is due, for the acknowledgement's promise. */
export function firstResponseDueAtOf(state: TicketSlaState, policy: SlaPolicy): string {
  const dueAt = slaClocksOf(state.track, new Date(state.track.lastAt), policy).firstResponse?.dueAt;
  if (!dueAt) throw new Error('the first response clock has not started');
  return dueAt;
}

/** The ticket's SLA as the API shows it at `now`; empty for a ticket stored before the SLA engine. */
export function ticketSlaView(ticket: Pick<Ticket, 'slaState'>, now: Date, policy: SlaPolicy): Partial<Record<SlaTarget, SlaView>> {
  return ticket.slaState ? slaView(ticket.slaState.track, ticket.slaState.marks, now, policy) : {};
}
