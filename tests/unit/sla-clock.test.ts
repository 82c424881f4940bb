import { describe, expect, it } from 'vitest';
import { computeSlaClocks, type SlaEvent } from '../../functions/sla/clock';
import { DEFAULT_SLA_POLICY, parseSlaPolicy } from '../../functions/sla/policy';

const at = (iso: string) => new Date(iso);
const clocks = (events: SlaEvent[], now: string, options: { tier?: 'vip' | 'standard'; priority?: 'urgent' | 'high' | 'normal' | 'low'; policy?: typeof DEFAULT_SLA_POLICY } = {}) =>
  computeSlaClocks({ tier: options.tier ?? 'vip', priority: options.priority ?? 'urgent', events, now: at(now) }, options.policy ?? DEFAULT_SLA_POLICY);

describe('the first response', () => {
  it('is met by a staff answer before it is due, with the warning at warnAt of the target', () => {
    const result = clocks([{ type: 'customer-message', at: '2026-11-21T10:00:00.000Z' }, { type: 'staff-answer', at: '2026-11-21T10:10:00.000Z' }], '2026-11-21T11:00:00.000Z');
    expect(result.firstResponse).toEqual({ state: 'met', dueAt: '2026-11-21T10:15:00.000Z' });
    const running = clocks([{ type: 'customer-message', at: '2026-11-21T10:00:00.000Z' }], '2026-11-21T10:05:00.000Z');
    expect(running.firstResponse).toEqual({ state: 'running', dueAt: '2026-11-21T10:15:00.000Z', warnAt: '2026-11-21T10:11:15.000Z' });
    expect(running.nextResponse).toBeUndefined();
  });

  it('is breached once its due time passes unanswered, and stays breached when the answer comes late', () => {
    const unanswered = clocks([{ type: 'customer-message', at: '2026-11-21T10:00:00.000Z' }], '2026-11-21T10:15:00.000Z');
    expect(unanswered.firstResponse).toMatchObject({ state: 'breached', breachedAt: '2026-11-21T10:15:00.000Z' });
    const late = clocks([{ type: 'customer-message', at: '2026-11-21T10:00:00.000Z' }, { type: 'staff-answer', at: '2026-11-21T10:40:00.000Z' }], '2026-11-21T11:00:00.000Z');
    expect(late.firstResponse).toEqual({ state: 'breached', dueAt: '2026-11-21T10:15:00.000Z', breachedAt: '2026-11-21T10:15:00.000Z' });
  });

  it('takes a priority change from the clock’s start', () => {
    const events: SlaEvent[] = [
      { type: 'customer-message', at: '2026-11-21T10:00:00.000Z' },
      { type: 'priority', at: '2026-11-21T10:05:00.000Z', priority: 'urgent' },
    ];
    expect(clocks(events, '2026-11-21T10:06:00.000Z', { tier: 'standard', priority: 'normal' }).firstResponse).toMatchObject({ state: 'running', dueAt: '2026-11-21T11:00:00.000Z' });
    expect(clocks(events.slice(0, 1), '2026-11-21T10:06:00.000Z', { tier: 'standard', priority: 'normal' }).firstResponse).toMatchObject({ dueAt: '2026-11-22T10:00:00.000Z' });
  });
});

describe('waiting on the customer, next responses and closing', () => {
  const opened = '2026-11-02T00:00:00.000Z';
  const answered = '2026-11-02T01:00:00.000Z';
  const customerBack = '2026-11-03T01:00:00.000Z';
  const history: SlaEvent[] = [
    { type: 'customer-message', at: opened },
    { type: 'staff-answer', at: answered },
    { type: 'status', at: answered, status: 'waiting-on-customer' },
  ];

  it('pauses resolution while the ticket waits, and the customer’s answer resumes it and starts the next response', () => {
    const waiting = clocks(history, '2026-11-02T12:00:00.000Z', { tier: 'standard', priority: 'normal' });
    expect(waiting.resolution).toEqual({ state: 'paused', remainingSeconds: 5 * 86_400 - 3600 });
    expect(waiting.nextResponse).toBeUndefined();

    const back = clocks([...history, { type: 'customer-message', at: customerBack }], '2026-11-03T02:00:00.000Z', { tier: 'standard', priority: 'normal' });
    // One hour of the five days was used before the wait; the day waited does not count.
    expect(back.resolution).toMatchObject({ state: 'running', dueAt: '2026-11-08T00:00:00.000Z' });
    expect(back.nextResponse).toMatchObject({ state: 'running', dueAt: '2026-11-04T01:00:00.000Z' });
    expect(back.firstResponse).toMatchObject({ state: 'met' });
  });

  it('closing stops every clock; a reopening starts the next response and resumes resolution', () => {
    const closedAt = '2026-11-02T02:00:00.000Z';
    const closed = clocks([...history, { type: 'status', at: closedAt, status: 'closed' }], '2026-12-30T00:00:00.000Z', { tier: 'standard', priority: 'normal' });
    expect(closed.resolution).toMatchObject({ state: 'met' });
    expect(closed.nextResponse).toBeUndefined();

    const reopenedAt = '2026-11-04T00:00:00.000Z';
    const reopened = clocks([...history, { type: 'status', at: closedAt, status: 'closed' }, { type: 'status', at: reopenedAt, status: 'open' }], '2026-11-04T00:30:00.000Z', { tier: 'standard', priority: 'normal' });
    expect(reopened.nextResponse).toMatchObject({ state: 'running', dueAt: '2026-11-05T00:00:00.000Z' });
    // Used before: one hour (open → waiting); the time closed does not count either.
    expect(reopened.resolution).toMatchObject({ state: 'running', dueAt: '2026-11-08T23:00:00.000Z' });

    const byMail = clocks([...history, { type: 'status', at: closedAt, status: 'closed' }, { type: 'customer-message', at: reopenedAt }], '2026-11-04T00:30:00.000Z', { tier: 'standard', priority: 'normal' });
    expect(byMail.nextResponse).toEqual(reopened.nextResponse);
  });

  it('gives the same clocks whatever order the events arrive in', () => {
    const events: SlaEvent[] = [...history, { type: 'customer-message', at: customerBack }];
    expect(clocks([...events].reverse(), '2026-11-03T02:00:00.000Z', { tier: 'standard' })).toEqual(clocks(events, '2026-11-03T02:00:00.000Z', { tier: 'standard' }));
  });
});

describe('business hours', () => {
  const shanghai = parseSlaPolicy({
    targets: { standard: { normal: { firstResponse: 'PT1H' } } },
    calendars: { standard: { timeZone: 'Asia/Shanghai', hours: { mon: ['09:00', '18:00'], tue: ['09:00', '18:00'], wed: ['09:00', '18:00'], thu: ['09:00', '18:00'], fri: ['09:00', '18:00'] }, holidays: ['2026-10-01'] } },
  });

  it('counts only open hours, across a weekend', () => {
    // Friday 2026-11-20 17:30 in Shanghai (09:30Z): 30 minutes on Friday, 30 more on Monday from 09:00.
    const result = computeSlaClocks({ tier: 'standard', priority: 'normal', events: [{ type: 'customer-message', at: '2026-11-20T09:30:00.000Z' }], now: at('2026-11-21T00:00:00.000Z') }, shanghai);
    expect(result.firstResponse).toMatchObject({ state: 'running', dueAt: '2026-11-23T01:30:00.000Z' });
  });

  it('skips a holiday', () => {
    // Wednesday 2026-09-30 17:30 in Shanghai; Thursday 1 October is a holiday: due Friday 09:30.
    const result = computeSlaClocks({ tier: 'standard', priority: 'normal', events: [{ type: 'customer-message', at: '2026-09-30T09:30:00.000Z' }], now: at('2026-09-30T10:00:00.000Z') }, shanghai);
    expect(result.firstResponse).toMatchObject({ dueAt: '2026-10-02T01:30:00.000Z' });
  });

  it('follows a change of daylight saving time', () => {
    const newYork = parseSlaPolicy({
      targets: { standard: { normal: { firstResponse: 'PT1H' } } },
      calendars: { standard: { timeZone: 'America/New_York', hours: { mon: ['09:00', '17:00'], fri: ['09:00', '17:00'] } } },
    });
    // Friday 2026-03-06 16:30 EST (21:30Z); Monday 2026-03-09 is on EDT: 09:30 EDT is 13:30Z.
    const result = computeSlaClocks({ tier: 'standard', priority: 'normal', events: [{ type: 'customer-message', at: '2026-03-06T21:30:00.000Z' }], now: at('2026-03-07T00:00:00.000Z') }, newYork);
    expect(result.firstResponse).toMatchObject({ dueAt: '2026-03-09T13:30:00.000Z' });
  });
});
