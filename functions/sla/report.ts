/**
 * The SLA report (no I/O): how the tickets opened in a period fared against their targets, one row per tier
 * and priority and one per assignee, as the tickets stand at `now`.
 *
 * - A ticket counts once per row it belongs to: `breaches` counts tickets with at least one target breached,
 *   not targets, so `breachRate` is the share of tickets that missed a promise.
 * - A target is breached when any run of its clock stopped late (the track's `missed`, kept for good), runs
 *   past its due time now, or the SLA scan recorded a breach for it.
 * - A ticket stored before the SLA engine (no `slaState`) counts as a ticket without breaches, never at risk.
 * - First response times run from `createdAt` to `firstRespondedAt`, in elapsed seconds (not open hours),
 *   over the tickets that were answered.
 */
import type { Ticket, Tier } from '../tickets/model';
import { SLA_PRIORITIES, SLA_TARGETS, type SlaPolicy, type SlaPriority } from './policy';
import { slaClocksOf } from './track';

/**
 * The most tickets one report reads; a range holding more is refused, never cut short. Reading and reporting
 * 20,000 tickets took about 1.4 s of CPU in Node, 10,000 about 0.9 s (the SDK's parsing most of it): the API
 * function's 256 MB share of a vCPU (about a seventh) stretches the first to its 10 s time-out, the second to
 * some 6 s.
 */
export const MAX_REPORT_TICKETS = 10_000;
/** The longest period one report covers. */
export const MAX_REPORT_DAYS = 366;
/** The period a report covers when it is not given one. */
export const DEFAULT_REPORT_DAYS = 30;

/** What the report reads of a ticket: the fields that decide its SLA, without its text or parties. */
export type ReportTicket = Pick<Ticket, 'id' | 'tier' | 'priority' | 'assignee' | 'createdAt' | 'firstRespondedAt' | 'status' | 'slaState'>;

export interface SlaReportFigures {
  tickets: number;
  /** Tickets with at least one target breached. */
  breaches: number;
  /** `breaches / tickets`, rounded to 4 decimal places; 0 without tickets. */
  breachRate: number;
  /** Nearest-rank percentiles of the first response times, in whole seconds; null when none was answered. */
  firstResponseP50Seconds: number | null;
  firstResponseP90Seconds: number | null;
  /** Tickets not closed with a running target past its warning time now (or past its due time). */
  atRisk: number;
}

export type SlaReportRow =
  | ({ group: 'tier-priority'; tier: Tier; priority: SlaPriority } & SlaReportFigures)
  | ({ group: 'assignee'; assignee: string } & SlaReportFigures);

export interface SlaReport {
  from: string;
  to: string;
  generatedAt: string;
  /** Tickets opened in [from, to). */
  tickets: number;
  rows: SlaReportRow[];
}

export const UNASSIGNED = 'unassigned';
const TIER_ORDER: readonly Tier[] = ['vip', 'standard'];

interface TicketOutcome {
  breached: boolean;
  atRisk: boolean;
  firstResponseSeconds?: number;
}

function outcomeOf(ticket: ReportTicket, now: Date, policy: SlaPolicy): TicketOutcome {
  const answeredMs = ticket.firstRespondedAt ? Date.parse(ticket.firstRespondedAt) - Date.parse(ticket.createdAt) : Number.NaN;
  // Two machines' clocks may disagree by a little: an answer stamped before the ticket took no time.
  const firstResponseSeconds = Number.isFinite(answeredMs) ? Math.max(0, Math.round(answeredMs / 1000)) : undefined;
  const state = ticket.slaState;
  if (!state) return { breached: false, atRisk: false, ...(firstResponseSeconds !== undefined ? { firstResponseSeconds } : {}) };
  const clocks = slaClocksOf(state.track, now, policy);
  let breached = false;
  let atRisk = false;
  for (const target of SLA_TARGETS) {
    const run = state.track[target];
    const clock = clocks[target];
    if (state.marks[target]?.breachedAt || state.track.missed?.includes(target)) breached = true;
    if (!run || !clock) continue;
    if (clock.state === 'breached') breached = true;
    // A stopped clock is settled, and a paused one waits on the customer: neither is at risk.
    if (run.stopped || ticket.status === 'closed') continue;
    const pastWarning = clock.warnAt !== undefined && Date.parse(clock.warnAt) <= now.getTime();
    if (clock.state === 'breached' || (clock.state === 'running' && pastWarning)) atRisk = true;
  }
  return { breached, atRisk, ...(firstResponseSeconds !== undefined ? { firstResponseSeconds } : {}) };
}

/** Nearest-rank percentile (`p` in 0..1) of values sorted ascending: always one of the values. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? null;
}

function figuresOf(outcomes: readonly TicketOutcome[]): SlaReportFigures {
  const breaches = outcomes.filter((outcome) => outcome.breached).length;
  const times = outcomes.flatMap((outcome) => (outcome.firstResponseSeconds !== undefined ? [outcome.firstResponseSeconds] : [])).sort((a, b) => a - b);
  return {
    tickets: outcomes.length,
    breaches,
    breachRate: outcomes.length === 0 ? 0 : Math.round((breaches / outcomes.length) * 10_000) / 10_000,
    firstResponseP50Seconds: nearestRank(times, 0.5),
    firstResponseP90Seconds: nearestRank(times, 0.9),
    atRisk: outcomes.filter((outcome) => outcome.atRisk).length,
  };
}

/** The report of the tickets opened in [from, to) among `tickets`, as they stand at `now`. */
export function buildSlaReport(tickets: readonly ReportTicket[], options: { from: Date; to: Date; now: Date; policy: SlaPolicy }): SlaReport {
  const { from, to, now, policy } = options;
  const byTierPriority = new Map<string, TicketOutcome[]>();
  const byAssignee = new Map<string, TicketOutcome[]>();
  let count = 0;
  for (const ticket of tickets) {
    const opened = Date.parse(ticket.createdAt);
    if (!(opened >= from.getTime() && opened < to.getTime())) continue;
    count += 1;
    const outcome = outcomeOf(ticket, now, policy);
    const tierPriority = `${ticket.tier} ${ticket.priority}`;
    const assignee = ticket.assignee ?? UNASSIGNED;
    for (const [groups, key] of [
      [byTierPriority, tierPriority],
      [byAssignee, assignee],
    ] as const) {
      const outcomes = groups.get(key);
      if (outcomes) outcomes.push(outcome);
      else groups.set(key, [outcome]);
    }
  }
  const rows: SlaReportRow[] = [];
  for (const tier of TIER_ORDER) {
    for (const priority of SLA_PRIORITIES) {
      const outcomes = byTierPriority.get(`${tier} ${priority}`);
      if (outcomes) rows.push({ group: 'tier-priority', tier, priority, ...figuresOf(outcomes) });
    }
  }
  const assignees = [...byAssignee.keys()].sort((a, b) => (a === UNASSIGNED ? 1 : b === UNASSIGNED ? -1 : a < b ? -1 : a > b ? 1 : 0));
  for (const assignee of assignees) rows.push({ group: 'assignee', assignee, ...figuresOf(byAssignee.get(assignee) ?? []) });
  return { from: from.toISOString(), to: to.toISOString(), generatedAt: now.toISOString(), tickets: count, rows };
}
