import { describe, expect, it } from 'vitest';
import { markSlaActions, nextSlaCheck, slaActionsDue } from '../../functions/sla/schedule';
import { applySlaEvent, emptySlaTrack, type SlaTrack } from '../../functions/sla/track';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import { advanceSla, markSla, openingSlaState } from '../../functions/tickets/sla-state';
import { slaRecipients } from '../../functions/sla/scan';
import type { Staff } from '../../functions/roster/model';

const policy = DEFAULT_SLA_POLICY;
const opened = '2026-11-21T10:00:00.000Z';
const at = (iso: string) => new Date(iso);
/** A VIP urgent ticket: first response due 10:15, warned at 10:11:15; resolution due 14:00, warned 13:00. */
const vipUrgent = (): SlaTrack => applySlaEvent(emptySlaTrack('vip', 'urgent', opened), { type: 'customer-message', at: opened }, policy);

describe('what the scan owes a ticket', () => {
  it('nothing before warnAt; a warning at warnAt; a breach at the due time, never both for one target at once', () => {
    const track = vipUrgent();
    expect(slaActionsDue(track, {}, at('2026-11-21T10:11:00.000Z'), policy)).toEqual([]);
    expect(slaActionsDue(track, {}, at('2026-11-21T10:11:15.000Z'), policy)).toEqual([{ target: 'firstResponse', kind: 'warning', cycle: opened, dueAt: '2026-11-21T10:15:00.000Z', stopped: false }]);
    // First seen after its due time: the breach alone, the warning would come too late to help.
    expect(slaActionsDue(track, {}, at('2026-11-21T10:20:00.000Z'), policy)).toEqual([{ target: 'firstResponse', kind: 'breach', cycle: opened, dueAt: '2026-11-21T10:15:00.000Z', stopped: false }]);
  });

  it('owes each action once per run of the clock: marked, it is not owed again; a new run owes it again', () => {
    const track = vipUrgent();
    const warned = markSlaActions({}, slaActionsDue(track, {}, at('2026-11-21T10:12:00.000Z'), policy), '2026-11-21T10:12:00.000Z');
    expect(slaActionsDue(track, warned, at('2026-11-21T10:13:00.000Z'), policy)).toEqual([]);
    const breached = markSlaActions(warned, slaActionsDue(track, warned, at('2026-11-21T10:16:00.000Z'), policy), '2026-11-21T10:16:00.000Z');
    expect(slaActionsDue(track, breached, at('2026-11-21T11:00:00.000Z'), policy)).toEqual([]);

    // Answered, then the customer writes again: the next response is a new run with its own warning.
    let next = applySlaEvent(track, { type: 'staff-answer', at: '2026-11-21T10:30:00.000Z' }, policy);
    next = applySlaEvent(next, { type: 'customer-message', at: '2026-11-21T11:00:00.000Z' }, policy);
    const owed = slaActionsDue(next, breached, at('2026-11-21T11:23:00.000Z'), policy);
    // The first response stopped late: missed for good, whatever runs after it.
    expect(next.missed).toEqual(['firstResponse']);
    expect(owed).toEqual([{ target: 'nextResponse', kind: 'warning', cycle: '2026-11-21T11:00:00.000Z', dueAt: '2026-11-21T11:30:00.000Z', stopped: false }]);
  });

  it('records a breach found after the clock stopped (answered late between two scans), without escalating it', () => {
    const late = applySlaEvent(vipUrgent(), { type: 'staff-answer', at: '2026-11-21T10:20:00.000Z' }, policy);
    const [action] = slaActionsDue(late, {}, at('2026-11-21T10:21:00.000Z'), policy);
    expect(action).toMatchObject({ target: 'firstResponse', kind: 'breach', stopped: true });
    const staff = [lead('st-lead0001')];
    expect(slaRecipients({ assignee: 'st-mgr00001' }, action!, staff)).toEqual([]);
  });
});

describe('when the scan looks next', () => {
  it('at the earliest warning or due time not yet acted on; nothing once the ticket is closed or waiting', () => {
    const track = vipUrgent();
    expect(nextSlaCheck(track, {}, at(opened), policy)).toBe('2026-11-21T10:11:15.000Z');
    const warned = markSlaActions({}, [{ target: 'firstResponse', kind: 'warning', cycle: opened, dueAt: '2026-11-21T10:15:00.000Z', stopped: false }], '2026-11-21T10:11:20.000Z');
    expect(nextSlaCheck(track, warned, at('2026-11-21T10:11:20.000Z'), policy)).toBe('2026-11-21T10:15:00.000Z');
    // Answered: resolution's warning (3 of 4 hours) is next.
    const answered = applySlaEvent(track, { type: 'staff-answer', at: '2026-11-21T10:05:00.000Z' }, policy);
    expect(nextSlaCheck(answered, {}, at('2026-11-21T10:05:00.000Z'), policy)).toBe('2026-11-21T13:00:00.000Z');
    // Waiting on the customer pauses resolution: nothing to watch.
    const waiting = applySlaEvent(answered, { type: 'status', at: '2026-11-21T10:05:00.000Z', status: 'waiting-on-customer' }, policy);
    expect(nextSlaCheck(waiting, {}, at('2026-11-21T10:05:00.000Z'), policy)).toBeUndefined();
    const closed = applySlaEvent(track, { type: 'status', at: '2026-11-21T10:05:00.000Z', status: 'closed' }, policy);
    expect(nextSlaCheck(closed, {}, at('2026-11-21T10:05:00.000Z'), policy)).toBeUndefined();
  });
});

describe('a ticket’s stored SLA', () => {
  it('starts at version 1 with its first check, and each write folds from the version read into the next one', () => {
    const state = openingSlaState('vip', 'urgent', opened, policy);
    expect(state).toMatchObject({ version: 1, checkAt: '2026-11-21T10:11:15.000Z', marks: {} });
    const raised = advanceSla({ slaState: openingSlaState('standard', 'normal', opened, policy) }, [{ type: 'priority', at: '2026-11-21T10:05:00.000Z', priority: 'urgent' }], at('2026-11-21T10:05:00.000Z'), policy);
    // Standard urgent: an hour from the same start instead of a day, warned at 45 minutes.
    expect(raised).toMatchObject({ version: 2, checkAt: '2026-11-21T10:45:00.000Z' });
    expect(advanceSla({}, [{ type: 'staff-answer', at: opened }], at(opened), policy)).toBeUndefined();
  });

  it('takes an event stamped before the last one (two machines’ clocks) as happening at the last one', () => {
    const track = vipUrgent();
    const answered = applySlaEvent(track, { type: 'staff-answer', at: '2026-11-21T09:59:00.000Z' }, policy);
    expect(answered.firstResponse?.stopped?.at).toBe(opened);
  });
});

describe('who hears of it', () => {
  const mia: Staff = staffMember('st-mia00001', 'manager', { backupId: 'st-ben00001' });
  const ben: Staff = staffMember('st-ben00001', 'manager');
  const leads = [lead('st-lea00001'), lead('st-leo00001'), { ...lead('st-off00001'), status: 'away' as const }];
  const warning = { target: 'firstResponse' as const, kind: 'warning' as const, cycle: opened, dueAt: opened, stopped: false };
  const breach = { ...warning, kind: 'breach' as const };

  it('the assignee is warned; a breach goes to the active backup and every active lead', () => {
    expect(slaRecipients({ assignee: mia.id }, warning, [mia, ben, ...leads]).map((r) => r.member.id)).toEqual([mia.id]);
    expect(slaRecipients({ assignee: mia.id }, breach, [mia, ben, ...leads]).map((r) => r.member.id)).toEqual([ben.id, 'st-lea00001', 'st-leo00001']);
    expect(slaRecipients({ assignee: mia.id }, breach, [mia, { ...ben, status: 'away' }, ...leads]).map((r) => r.member.id)).toEqual(['st-lea00001', 'st-leo00001']);
  });

  it('an unassigned ticket goes to the leads, for a warning and a breach alike', () => {
    expect(slaRecipients({}, warning, [mia, ben, ...leads]).map((r) => r.member.id)).toEqual(['st-lea00001', 'st-leo00001']);
    expect(slaRecipients({}, breach, [mia, ben, ...leads]).map((r) => r.member.id)).toEqual(['st-lea00001', 'st-leo00001']);
  });
});

function staffMember(id: string, role: Staff['role'], extra: Partial<Staff> = {}): Staff {
  return { id, name: id, email: `${id}@staff.example`, role, status: 'active', vipBook: 0, openTickets: 0, createdAt: opened, updatedAt: opened, ...extra } as Staff;
}

function lead(id: string): Staff {
  return staffMember(id, 'lead');
}

describe('histories that used to leave a clock wrong', () => {
  it('a ticket that breached resolution while it waited, then closed, is recorded once and leaves the due index', () => {
    // Standard normal (resolution 5 days) answered after 10 h; raised to urgent (8 h) while waiting; closed.
    let state = openingSlaState('standard', 'normal', opened, policy);
    state = advanceSla({ slaState: state }, [{ type: 'staff-answer', at: '2026-11-21T20:00:00.000Z' }, { type: 'status', at: '2026-11-21T20:00:00.000Z', status: 'waiting-on-customer' }], at('2026-11-21T20:00:00.000Z'), policy)!;
    state = advanceSla({ slaState: state }, [{ type: 'priority', at: '2026-11-21T21:00:00.000Z', priority: 'urgent' }], at('2026-11-21T21:00:00.000Z'), policy)!;
    state = advanceSla({ slaState: state }, [{ type: 'status', at: '2026-11-21T22:00:00.000Z', status: 'closed' }], at('2026-11-21T22:00:00.000Z'), policy)!;
    const scanAt = at('2026-12-01T00:00:00.000Z');
    const owed = slaActionsDue(state.track, state.marks, scanAt, policy);
    expect(owed.map((action) => `${action.kind}:${action.target}:${action.stopped}`)).toEqual(expect.arrayContaining(['breach:resolution:true']));
    expect(Date.parse(state.checkAt!)).toBeLessThan(scanAt.getTime());
    const marked = markSla(state, owed, scanAt, policy);
    expect(marked.checkAt).toBeUndefined();
    expect(slaActionsDue(marked.track, marked.marks, at('2026-12-02T00:00:00.000Z'), policy)).toEqual([]);
  });

  it('a closed ticket set to wait on the customer is reopened and paused, and the customer’s reply starts the next response', () => {
    let track = applySlaEvent(vipUrgent(), { type: 'staff-answer', at: '2026-11-21T10:05:00.000Z' }, policy);
    track = applySlaEvent(track, { type: 'status', at: '2026-11-21T10:10:00.000Z', status: 'closed' }, policy);
    track = applySlaEvent(track, { type: 'status', at: '2026-11-21T11:00:00.000Z', status: 'waiting-on-customer' }, policy);
    expect(track.resolution?.stopped).toBeUndefined();
    track = applySlaEvent(track, { type: 'customer-message', at: '2026-11-21T12:00:00.000Z' }, policy);
    expect(track.status).toBe('open');
    expect(track.nextResponse).toMatchObject({ cycle: '2026-11-21T12:00:00.000Z', stretchFrom: '2026-11-21T12:00:00.000Z' });
    expect(track.resolution?.stretchFrom).toBe('2026-11-21T12:00:00.000Z');
  });

  it('an answer recorded after the customer wrote again answers only what came before it', () => {
    // Answer written at 10:10, its record delayed (a retried request) until after the customer wrote at 10:20.
    let track = applySlaEvent(vipUrgent(), { type: 'customer-message', at: '2026-11-21T10:20:00.000Z' }, policy);
    track = applySlaEvent(track, { type: 'staff-answer', at: '2026-11-21T10:10:00.000Z' }, policy);
    expect(track.firstResponse?.stopped).toMatchObject({ breached: false });
    expect(track.nextResponse).toMatchObject({ cycle: '2026-11-21T10:20:00.000Z', stretchFrom: '2026-11-21T10:20:00.000Z' });
    expect(nextSlaCheck(track, {}, at('2026-11-21T10:25:00.000Z'), policy)).toBe('2026-11-21T10:42:30.000Z');
  });
});
