/**
 * A ticket's three SLA clocks, computed from what happened to it (no I/O): recomputed from the whole history on
 * every event, so a redelivered or late event can never leave a clock half-moved.
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

interface Running {
  /** Open seconds this clock has run in earlier stretches (before a pause). */
  usedSeconds: number;
  /** Start of the stretch it is running in; undefined while paused or stopped. */
  stretchFrom?: Date;
  stopped?: { at: Date; dueAt?: Date; breached: boolean };
}

/**
 * The clocks of a ticket of `tier` opened at `priority`, after `events` (in any order; sorted by time here),
 * as they stand at `now`.
 */
export function computeSlaClocks(input: { tier: Tier; priority: SlaPriority; events: readonly SlaEvent[]; now: Date }, policy: SlaPolicy): SlaClocks {
  const calendar: Calendar = policy.calendars[input.tier];
  const events = [...input.events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  let priority = input.priority;
  const target = (name: SlaTarget) => policy.targets[input.tier][priority][name];
  let first: Running | undefined;
  let next: Running | undefined;
  let resolution: Running | undefined;
  let answered = false;
  let status: TicketStatus = 'open';

  const start = (at: Date): Running => ({ usedSeconds: 0, stretchFrom: at });
  const pause = (clock: Running, at: Date) => {
    if (!clock.stretchFrom) return;
    clock.usedSeconds += openSecondsBetween(clock.stretchFrom, at, calendar);
    clock.stretchFrom = undefined;
  };
  const stop = (clock: Running | undefined, at: Date, name: SlaTarget) => {
    if (!clock || clock.stopped) return;
    const dueAt = clock.stretchFrom ? addOpenTime(clock.stretchFrom, Math.max(0, target(name) - clock.usedSeconds), calendar) : undefined;
    pause(clock, at);
    clock.stopped = { at, ...(dueAt ? { dueAt } : {}), breached: clock.usedSeconds > target(name) };
  };
  const resume = (clock: Running, at: Date) => {
    clock.stopped = undefined;
    clock.stretchFrom ??= at;
  };

  /** A reopening: resolution runs again, and someone owes the customer a response. */
  const reopen = (at: Date) => {
    status = 'open';
    if (resolution) resume(resolution, at);
    if (answered) next = start(at);
    else if (first) resume(first, at);
  };

  for (const event of events) {
    const at = new Date(event.at);
    switch (event.type) {
      case 'customer-message':
        if (!first) {
          first = start(at);
          resolution = start(at);
        } else if (status === 'closed') {
          // A customer writing into a closed ticket reopens it (as the inbound pipeline does).
          reopen(at);
        } else {
          if (answered && (!next || next.stopped)) next = start(at);
          // The customer's answer ends a wait: resolution runs again.
          if (resolution && !resolution.stopped) resume(resolution, at);
          status = 'open';
        }
        break;
      case 'staff-answer':
        stop(first, at, 'firstResponse');
        stop(next, at, 'nextResponse');
        answered = true;
        break;
      case 'priority':
        priority = event.priority;
        break;
      case 'status': {
        const from: TicketStatus = status;
        status = event.status;
        if (!resolution || from === event.status) break;
        if (event.status === 'waiting-on-customer') pause(resolution, at);
        else if (event.status === 'closed') {
          stop(first, at, 'firstResponse');
          stop(next, at, 'nextResponse');
          stop(resolution, at, 'resolution');
        } else if (from === 'closed') {
          status = from;
          reopen(at);
          status = event.status;
        } else {
          resume(resolution, at);
        }
        break;
      }
    }
  }

  const clocks: SlaClocks = {};
  const put = (name: SlaTarget, clock: Running | undefined) => {
    if (clock) clocks[name] = stateOf(clock, target(name), policy.warnAt, calendar, input.now);
  };
  put('firstResponse', first);
  put('nextResponse', next);
  put('resolution', resolution);
  return clocks;
}

function stateOf(clock: Running, targetSeconds: number, warnAt: number, calendar: Calendar, now: Date): SlaClock {
  if (clock.stopped) {
    const dueAt = clock.stopped.dueAt?.toISOString();
    if (clock.stopped.breached) return { state: 'breached', ...(dueAt ? { dueAt, breachedAt: dueAt } : {}) };
    return { state: 'met', ...(dueAt ? { dueAt } : {}) };
  }
  const remaining = targetSeconds - clock.usedSeconds;
  if (!clock.stretchFrom) return { state: 'paused', remainingSeconds: Math.max(0, remaining) };
  const dueAt = addOpenTime(clock.stretchFrom, Math.max(0, remaining), calendar);
  const warnRemaining = targetSeconds * warnAt - clock.usedSeconds;
  const warnAtInstant = warnRemaining > 0 ? addOpenTime(clock.stretchFrom, warnRemaining, calendar) : clock.stretchFrom;
  const base = { dueAt: dueAt.toISOString(), warnAt: warnAtInstant.toISOString() };
  return now.getTime() >= dueAt.getTime() ? { ...base, state: 'breached', breachedAt: base.dueAt } : { ...base, state: 'running' };
}
