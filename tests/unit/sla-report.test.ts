/**
 * The SLA report over hand-built tickets whose figures can be checked by hand: the default policy (24x7,
 * warnings at 75 %): VIP urgent first response 15 min; standard high 4 h first, 8 h next response;
 * standard normal 1 day first response.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, type SlaPriority } from '../../functions/sla/policy';
import { buildSlaReport, nearestRank, type ReportTicket, type SlaReportRow } from '../../functions/sla/report';
import type { SlaEvent } from '../../functions/sla/track';
import type { Tier, TicketStatus } from '../../functions/tickets/model';
import { advanceSla, markSla, openingSlaState } from '../../functions/tickets/sla-state';

const policy = DEFAULT_SLA_POLICY;
const NOW = new Date('2026-11-20T12:00:00.000Z');
const FROM = new Date('2026-11-01T00:00:00.000Z');
const TO = new Date('2026-11-21T00:00:00.000Z');

/** A ticket opened at `createdAt` whose SLA has seen `events` (the first customer message is implied). */
function ticket(
  id: string,
  fields: { tier: Tier; priority: SlaPriority; createdAt: string; assignee?: string; status?: TicketStatus; firstRespondedAt?: string; events?: SlaEvent[]; legacy?: boolean },
): ReportTicket {
  const opening = openingSlaState(fields.tier, fields.priority, fields.createdAt, policy);
  const lastAt = fields.events?.at(-1)?.at ?? fields.createdAt;
  const slaState = fields.events ? advanceSla({ slaState: opening }, fields.events, new Date(lastAt), policy) : opening;
  return {
    id,
    tier: fields.tier,
    priority: fields.priority,
    createdAt: fields.createdAt,
    status: fields.status ?? 'open',
    ...(fields.assignee ? { assignee: fields.assignee } : {}),
    ...(fields.firstRespondedAt ? { firstRespondedAt: fields.firstRespondedAt } : {}),
    ...(fields.legacy ? {} : { slaState }),
  };
}

const answer = (at: string): SlaEvent => ({ type: 'staff-answer', at });
const close = (at: string): SlaEvent => ({ type: 'status', at, status: 'closed' });

/**
 * J: a next response missed (due 09:00, the scan recorded the breach at 09:01), answered at 10:00; the
 * customer wrote again at 11:00 and was answered in time at 11:30, so the clock's current run is met and only
 * the scan's mark remembers the breach.
 */
function ticketWithRecordedBreach(): ReportTicket {
  const createdAt = '2026-11-15T00:00:00.000Z';
  let state = openingSlaState('standard', 'high', createdAt, policy);
  state = advanceSla({ slaState: state }, [answer('2026-11-15T00:30:00.000Z'), { type: 'customer-message', at: '2026-11-15T01:00:00.000Z' }], new Date('2026-11-15T01:00:00.000Z'), policy)!;
  state = markSla(state, [{ target: 'nextResponse', kind: 'breach', cycle: '2026-11-15T01:00:00.000Z', dueAt: '2026-11-15T09:00:00.000Z', stopped: false }], new Date('2026-11-15T09:01:00.000Z'), policy);
  state = advanceSla(
    { slaState: state },
    [answer('2026-11-15T10:00:00.000Z'), { type: 'customer-message', at: '2026-11-15T11:00:00.000Z' }, answer('2026-11-15T11:30:00.000Z'), close('2026-11-15T12:00:00.000Z')],
    new Date('2026-11-15T12:00:00.000Z'),
    policy,
  )!;
  return { id: 'JJJJJJ', tier: 'standard', priority: 'high', createdAt, status: 'closed', assignee: 'st-aaaaaaaa', firstRespondedAt: '2026-11-15T00:30:00.000Z', slaState: state };
}

const TICKETS: ReportTicket[] = [
  // A: answered after 10 min (600 s) of its 15; resolution (4 h) warns at 14:00, later than now.
  ticket('AAAAAA', { tier: 'vip', priority: 'urgent', createdAt: '2026-11-20T11:00:00.000Z', assignee: 'st-aaaaaaaa', firstRespondedAt: '2026-11-20T11:10:00.000Z', events: [answer('2026-11-20T11:10:00.000Z')] }),
  // B: unanswered, first response due 11:55: breached and still running at 12:00, so also at risk.
  ticket('BBBBBB', { tier: 'vip', priority: 'urgent', createdAt: '2026-11-20T11:40:00.000Z', assignee: 'st-aaaaaaaa' }),
  // C: unanswered, warned at 11:59:15 (75 % of 15 min), due 12:03: at risk, not breached.
  ticket('CCCCCC', { tier: 'vip', priority: 'urgent', createdAt: '2026-11-20T11:48:00.000Z', assignee: 'st-bbbbbbbb' }),
  // D: opened exactly at `from`, answered after 2 h (7,200 s) of its day, closed.
  ticket('DDDDDD', {
    tier: 'standard',
    priority: 'normal',
    createdAt: '2026-11-01T00:00:00.000Z',
    status: 'closed',
    firstRespondedAt: '2026-11-01T02:00:00.000Z',
    events: [answer('2026-11-01T02:00:00.000Z'), close('2026-11-01T03:00:00.000Z')],
  }),
  // E: answered after 2 days (172,800 s) of its 1: breached, closed, so not at risk.
  ticket('EEEEEE', {
    tier: 'standard',
    priority: 'normal',
    createdAt: '2026-11-05T00:00:00.000Z',
    assignee: 'st-bbbbbbbb',
    status: 'closed',
    firstRespondedAt: '2026-11-07T00:00:00.000Z',
    events: [answer('2026-11-07T00:00:00.000Z'), close('2026-11-07T01:00:00.000Z')],
  }),
  // F: stored before the SLA engine: no clocks, answered after 30 min (1,800 s).
  ticket('FFFFFF', { tier: 'standard', priority: 'normal', createdAt: '2026-11-03T00:00:00.000Z', firstRespondedAt: '2026-11-03T00:30:00.000Z', legacy: true }),
  ticketWithRecordedBreach(),
  // Outside [from, to): a millisecond before `from`, and exactly at `to`.
  ticket('GGGGGG', { tier: 'vip', priority: 'urgent', createdAt: '2026-10-31T23:59:59.999Z', assignee: 'st-aaaaaaaa' }),
  ticket('HHHHHH', { tier: 'vip', priority: 'urgent', createdAt: '2026-11-21T00:00:00.000Z', assignee: 'st-aaaaaaaa' }),
];

describe('the SLA report', () => {
  it('counts tickets, breached tickets, first response percentiles and tickets at risk per tier and priority, then per assignee', () => {
    // Act
    const report = buildSlaReport(TICKETS, { from: FROM, to: TO, now: NOW, policy });

    // Assess
    expect(report).toMatchObject({ from: FROM.toISOString(), to: TO.toISOString(), generatedAt: NOW.toISOString(), tickets: 7 });
    expect(report.rows).toEqual<SlaReportRow[]>([
      { group: 'tier-priority', tier: 'vip', priority: 'urgent', tickets: 3, breaches: 1, breachRate: 0.3333, firstResponseP50Seconds: 600, firstResponseP90Seconds: 600, atRisk: 2 },
      { group: 'tier-priority', tier: 'standard', priority: 'high', tickets: 1, breaches: 1, breachRate: 1, firstResponseP50Seconds: 1800, firstResponseP90Seconds: 1800, atRisk: 0 },
      // Answered after 1,800, 7,200 and 172,800 s: nearest rank ceil(0.5 × 3) = 2nd, ceil(0.9 × 3) = 3rd.
      { group: 'tier-priority', tier: 'standard', priority: 'normal', tickets: 3, breaches: 1, breachRate: 0.3333, firstResponseP50Seconds: 7200, firstResponseP90Seconds: 172_800, atRisk: 0 },
      { group: 'assignee', assignee: 'st-aaaaaaaa', tickets: 3, breaches: 2, breachRate: 0.6667, firstResponseP50Seconds: 600, firstResponseP90Seconds: 1800, atRisk: 1 },
      { group: 'assignee', assignee: 'st-bbbbbbbb', tickets: 2, breaches: 1, breachRate: 0.5, firstResponseP50Seconds: 172_800, firstResponseP90Seconds: 172_800, atRisk: 1 },
      { group: 'assignee', assignee: 'unassigned', tickets: 2, breaches: 0, breachRate: 0, firstResponseP50Seconds: 1800, firstResponseP90Seconds: 7200, atRisk: 0 },
    ]);
  });

  it('is empty for a period without tickets', () => {
    expect(buildSlaReport(TICKETS, { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z'), now: NOW, policy })).toEqual({
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
      generatedAt: NOW.toISOString(),
      tickets: 0,
      rows: [],
    });
  });

  it('has no percentiles for a group nobody answered yet, and a paused clock is not at risk however late', () => {
    // Prepare: waiting on the customer since 11:06; resolution paused, first response met.
    const waiting = ticket('KKKKKK', {
      tier: 'vip',
      priority: 'normal',
      createdAt: '2026-11-20T11:00:00.000Z',
      assignee: 'st-cccccccc',
      status: 'waiting-on-customer',
      firstRespondedAt: '2026-11-20T11:05:00.000Z',
      events: [answer('2026-11-20T11:05:00.000Z'), { type: 'status', at: '2026-11-20T11:06:00.000Z', status: 'waiting-on-customer' }],
    });
    const unanswered = ticket('LLLLLL', { tier: 'standard', priority: 'low', createdAt: '2026-11-20T11:00:00.000Z' });

    // Act
    const report = buildSlaReport([waiting, unanswered], { from: FROM, to: TO, now: new Date('2026-12-30T00:00:00.000Z'), policy });

    // Assess: by the end of December the unanswered ticket's 2 days are long gone.
    expect(report.rows).toEqual<SlaReportRow[]>([
      { group: 'tier-priority', tier: 'vip', priority: 'normal', tickets: 1, breaches: 0, breachRate: 0, firstResponseP50Seconds: 300, firstResponseP90Seconds: 300, atRisk: 0 },
      { group: 'tier-priority', tier: 'standard', priority: 'low', tickets: 1, breaches: 1, breachRate: 1, firstResponseP50Seconds: null, firstResponseP90Seconds: null, atRisk: 1 },
      { group: 'assignee', assignee: 'st-cccccccc', tickets: 1, breaches: 0, breachRate: 0, firstResponseP50Seconds: 300, firstResponseP90Seconds: 300, atRisk: 0 },
      { group: 'assignee', assignee: 'unassigned', tickets: 1, breaches: 1, breachRate: 1, firstResponseP50Seconds: null, firstResponseP90Seconds: null, atRisk: 1 },
    ]);
  });
});

describe('nearest-rank percentiles', () => {
  it('are always one of the values: the smallest with at least p of them at or below it', () => {
    const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([nearestRank(oneToTen, 0.5), nearestRank(oneToTen, 0.9), nearestRank(oneToTen, 0.91), nearestRank(oneToTen, 0)]).toEqual([5, 9, 10, 1]);
    expect(nearestRank([42], 0.9)).toBe(42);
    expect(nearestRank([], 0.5)).toBeNull();
  });
});

describe('a missed next response no scan saw', () => {
  it('still counts as a breach after a newer run of the same target was met', () => {
    // Answered at 10:00 for a next response due at 09:00, between two scans: no mark, yet missed for good.
    const createdAt = '2026-11-15T00:00:00.000Z';
    const state = advanceSla(
      { slaState: openingSlaState('standard', 'high', createdAt, policy) },
      [answer('2026-11-15T00:30:00.000Z'), { type: 'customer-message', at: '2026-11-15T01:00:00.000Z' }, answer('2026-11-15T10:00:00.000Z'), { type: 'customer-message', at: '2026-11-15T11:00:00.000Z' }, answer('2026-11-15T11:30:00.000Z')],
      new Date('2026-11-15T11:30:00.000Z'),
      policy,
    )!;
    expect(state.marks).toEqual({});
    const report = buildSlaReport([{ id: 'KKKKKK', tier: 'standard', priority: 'high', createdAt, status: 'waiting-on-customer', firstRespondedAt: '2026-11-15T00:30:00.000Z', slaState: state }], { from: FROM, to: TO, now: NOW, policy });
    expect(report.rows[0]).toMatchObject({ tickets: 1, breaches: 1, breachRate: 1 });
  });
});
