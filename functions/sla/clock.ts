/**
 * A ticket's three SLA clocks computed from its whole history (no I/O): the events folded in time order by
 * sla/track.ts, so a redelivered or late event can never leave a clock half-moved. Tickets store the folded
 * state; this is the same fold from the start, for a history kept elsewhere.
 */
import { applySlaEvent, emptySlaTrack, slaClocksOf, type SlaClocks, type SlaEvent } from './track';
import type { SlaPolicy, SlaPriority } from './policy';
import type { Tier } from '../tickets/model';

export type { SlaClock, SlaClocks, SlaEvent, SlaState } from './track';

/**
 * The clocks of a ticket of `tier` opened at `priority`, after `events` (in any order; sorted by time here),
 * as they stand at `now`.
 */
export function computeSlaClocks(input: { tier: Tier; priority: SlaPriority; events: readonly SlaEvent[]; now: Date }, policy: SlaPolicy): SlaClocks {
  const events = [...input.events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  let track = emptySlaTrack(input.tier, input.priority, events[0]?.at ?? input.now.toISOString());
  for (const event of events) track = applySlaEvent(track, event, policy);
  return slaClocksOf(track, input.now, policy);
}
