/**
 * A ticket's SLA clocks as a small state folded event by event (no I/O). The ticket stores the state, so each
 * write that changes the SLA (a customer message, a staff answer, a status or priority change) applies its
 * one event to what it read instead of reading the ticket's whole history; the write is conditional on the
 * state as read (`version`), so two writers never fold from the same state.
 *
 * - `firstResponse` runs from the first customer message to the first staff answer.
 * - `nextResponse` runs from each later customer message (and each reopening) to the next staff answer.
 * - `resolution` runs from opening to `closed`, paused while the ticket waits on the customer.
 * - `closed` stops everything. A priority change applies its targets from each clock's start.
 *
 * Time counts on the tier's calendar (open hours only, on a business-hours calendar).
 */
import { addOpenTime, openSecondsBetween, type Calendar } from './calendar';
import type { SlaPolicy, SlaPriority, SlaTarget } from './policy';
import type { TicketStatus, Tier } from '../tickets/model';

export type SlaEvent =
  | { type: 'customer-message'; at: string }
  | { type: 'staff-answer'; at: string }
  | { type: 'status'; at: string; status: TicketStatus }
  | { type: 'priority'; at: string; priority: SlaPriority };

export type SlaState = 'running' | 'paused' | 'met' | 'breached';

/** One clock as the state stores it; times are ISO strings so the state is stored as it is. */
export interface SlaRun {
  /** When this run of the clock started: a warning or a breach is sent once per run (see sla/schedule.ts). */
  cycle: string;
  /** Open seconds used in earlier stretches (before a pause). */
  usedSeconds: number;
  /** Start of the stretch it is running in; absent while paused or stopped. */
  stretchFrom?: string;
  /** Set when an answer or closing stopped it. */
  stopped?: { at: string; dueAt?: string; breached: boolean };
}

export interface SlaTrack {
  tier: Tier;
  priority: SlaPriority;
  status: TicketStatus;
  answered: boolean;
  /** The latest event applied; a later event stamped earlier (clocks of two machines) is taken as happening then. */
  lastAt: string;
  firstResponse?: SlaRun;
  nextResponse?: SlaRun;
  resolution?: SlaRun;
  /**
   * Targets whose clock stopped late, ever: a `nextResponse` missed stays missed in reports after the next
   * run of it has started.
   */
  missed?: SlaTarget[];
  /** The customer's latest message: an answer written before it does not answer it. */
  lastCustomerAt?: string;
}

export interface SlaClock {
  state: SlaState;
  /** When the target falls due; absent while paused. */
  dueAt?: string;
  /** When the assignee is warned (`warnAt` of the target); absent while paused. */
  warnAt?: string;
  /** When it was breached (its due time), once `now` or the answer is past it. */
  breachedAt?: string;
  /** Open time left while paused, in seconds. */
  remainingSeconds?: number;
}

export type SlaClocks = Partial<Record<SlaTarget, SlaClock>>;

/** A ticket's clocks before its first message. */
export function emptySlaTrack(tier: Tier, priority: SlaPriority, at: string): SlaTrack {
  return { tier, priority, status: 'open', answered: false, lastAt: at };
}

/** `track` after `event` (a new object; `track` is left as it was). */
export function applySlaEvent(track: SlaTrack, event: SlaEvent, policy: SlaPolicy): SlaTrack {
  const next: SlaTrack = structuredClone(track);
  const atIso = Date.parse(event.at) < Date.parse(track.lastAt) ? track.lastAt : new Date(event.at).toISOString();
  const at = new Date(atIso);
  next.lastAt = atIso;
  const calendar: Calendar = policy.calendars[next.tier];
  const target = (name: SlaTarget) => policy.targets[next.tier][next.priority][name];

  const start = (): SlaRun => ({ cycle: atIso, usedSeconds: 0, stretchFrom: atIso });
  const pause = (run: SlaRun, until: Date = at) => {
    if (!run.stretchFrom) return;
    run.usedSeconds += openSecondsBetween(new Date(run.stretchFrom), until, calendar);
    delete run.stretchFrom;
  };
  /** Stops `run` at `until` (the event's time, or an answer's own time when it is recorded late). */
  const stop = (run: SlaRun | undefined, name: SlaTarget, until: Date = at) => {
    if (!run || run.stopped) return;
    const dueAt = run.stretchFrom ? addOpenTime(new Date(run.stretchFrom), Math.max(0, target(name) - run.usedSeconds), calendar).toISOString() : undefined;
    pause(run, until);
    run.stopped = { at: until.toISOString(), ...(dueAt ? { dueAt } : {}), breached: run.usedSeconds > target(name) };
    if (run.stopped.breached && !next.missed?.includes(name)) next.missed = [...(next.missed ?? []), name];
  };
  const resume = (run: SlaRun) => {
    delete run.stopped;
    run.stretchFrom ??= atIso;
  };
  /** A reopening: resolution runs again, and someone owes the customer a response. */
  const reopen = () => {
    next.status = 'open';
    if (next.resolution) resume(next.resolution);
    if (next.answered) next.nextResponse = start();
    else if (next.firstResponse) resume(next.firstResponse);
  };

  switch (event.type) {
    case 'customer-message':
      next.lastCustomerAt = atIso;
      if (!next.firstResponse) {
        next.firstResponse = start();
        next.resolution = start();
      } else if (next.status === 'closed') {
        // A customer writing into a closed ticket reopens it (as the inbound pipeline does).
        reopen();
      } else {
        if (next.answered && (!next.nextResponse || next.nextResponse.stopped)) next.nextResponse = start();
        // The customer's answer ends a wait: resolution runs again.
        if (next.resolution && !next.resolution.stopped) resume(next.resolution);
        next.status = 'open';
      }
      break;
    case 'staff-answer': {
      // An answer recorded late (a retried request) answers what came before it, not a message written since.
      // Any answer answers the first message (an answer stamped a moment before it is two machines' clocks);
      // a next response is answered only by an answer written after the message that started it.
      const writtenAt = Date.parse(event.at);
      const stopAt = (run: SlaRun) => new Date(Math.min(at.getTime(), Math.max(writtenAt, Date.parse(run.stretchFrom ?? run.cycle))));
      if (next.firstResponse && !next.firstResponse.stopped) stop(next.firstResponse, 'firstResponse', stopAt(next.firstResponse));
      if (next.nextResponse && !next.nextResponse.stopped && Date.parse(next.nextResponse.cycle) <= writtenAt) stop(next.nextResponse, 'nextResponse', stopAt(next.nextResponse));
      next.answered = true;
      // The customer wrote after this answer was written: their message is owed the next response, from then.
      if (next.lastCustomerAt && Date.parse(next.lastCustomerAt) > writtenAt && (!next.nextResponse || next.nextResponse.stopped)) {
        next.nextResponse = { cycle: next.lastCustomerAt, usedSeconds: 0, stretchFrom: next.lastCustomerAt };
      }
      break;
    }
    case 'priority':
      next.priority = event.priority;
      break;
    case 'status': {
      const from = next.status;
      next.status = event.status;
      if (!next.resolution || from === event.status) break;
      if (event.status === 'closed') {
        stop(next.firstResponse, 'firstResponse');
        stop(next.nextResponse, 'nextResponse');
        stop(next.resolution, 'resolution');
      } else if (from === 'closed' && event.status === 'waiting-on-customer') {
        // Reopened to wait on the customer: resolution is no longer settled, but paused, and nobody owes a
        // response until the customer writes.
        resume(next.resolution);
        pause(next.resolution);
      } else if (from === 'closed') {
        reopen();
        next.status = event.status;
      } else if (event.status === 'waiting-on-customer') {
        pause(next.resolution);
      } else {
        resume(next.resolution);
      }
      break;
    }
  }
  return next;
}

/** The clocks of `track` as they stand at `now`. */
export function slaClocksOf(track: SlaTrack, now: Date, policy: SlaPolicy): SlaClocks {
  const clocks: SlaClocks = {};
  for (const name of ['firstResponse', 'nextResponse', 'resolution'] as const) {
    const run = track[name];
    if (run) clocks[name] = clockOf(run, policy.targets[track.tier][track.priority][name], policy.warnAt, policy.calendars[track.tier], now);
  }
  return clocks;
}

function clockOf(run: SlaRun, targetSeconds: number, warnAt: number, calendar: Calendar, now: Date): SlaClock {
  if (run.stopped) {
    const dueAt = run.stopped.dueAt;
    if (run.stopped.breached) return { state: 'breached', ...(dueAt ? { dueAt, breachedAt: dueAt } : {}) };
    return { state: 'met', ...(dueAt ? { dueAt } : {}) };
  }
  const remaining = targetSeconds - run.usedSeconds;
  // Paused past its target (a priority raised while the ticket waited): breached, with no due time to show.
  if (!run.stretchFrom) return remaining > 0 ? { state: 'paused', remainingSeconds: remaining } : { state: 'breached', remainingSeconds: 0 };
  const from = new Date(run.stretchFrom);
  const dueAt = addOpenTime(from, Math.max(0, remaining), calendar);
  const warnRemaining = targetSeconds * warnAt - run.usedSeconds;
  const warnAtInstant = warnRemaining > 0 ? addOpenTime(from, warnRemaining, calendar) : from;
  const base = { dueAt: dueAt.toISOString(), warnAt: warnAtInstant.toISOString() };
  return now.getTime() >= dueAt.getTime() ? { ...base, state: 'breached', breachedAt: base.dueAt } : { ...base, state: 'running' };
}
