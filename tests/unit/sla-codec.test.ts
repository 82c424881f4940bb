import { describe, expect, it } from 'vitest';
import { decodeSlaState, encodeSlaState } from '../../functions/adapters/dynamodb/sla-codec';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import { markSla, openingSlaState, advanceSla } from '../../functions/tickets/sla-state';
import { slaActionsDue } from '../../functions/sla/schedule';

const policy = DEFAULT_SLA_POLICY;

describe('the stored SLA state', () => {
  it('comes back exactly as written, whatever its clocks and marks', () => {
    const opened = openingSlaState('vip', 'urgent', '2026-11-21T10:00:00.000Z', policy);
    const warnedAt = new Date('2026-11-21T10:12:00.000Z');
    const warned = markSla(opened, slaActionsDue(opened.track, opened.marks, warnedAt, policy), warnedAt, policy);
    const answered = advanceSla({ slaState: warned }, [
      { type: 'staff-answer', at: '2026-11-21T10:20:00.123Z' },
      { type: 'status', at: '2026-11-21T10:20:00.123Z', status: 'waiting-on-customer' },
      { type: 'customer-message', at: '2026-11-22T08:00:00.000Z' },
      { type: 'priority', at: '2026-11-22T08:01:00.000Z', priority: 'low' },
      { type: 'status', at: '2026-11-22T09:00:00.000Z', status: 'closed' },
    ], new Date('2026-11-22T09:00:00.000Z'), policy)!;
    expect(answered.track.missed).toEqual(['firstResponse']);
    for (const state of [opened, warned, answered]) expect(decodeSlaState(encodeSlaState(state), state.version)).toEqual(state);
  });

  it('is short: an ordinary ticket stays under 1 KB, so each write of it costs one unit, not two', () => {
    const opened = openingSlaState('standard', 'high', '2026-11-21T10:00:00.000Z', policy);
    expect(Buffer.byteLength(encodeSlaState(opened))).toBeLessThan(120);
    expect(Buffer.byteLength(JSON.stringify(opened))).toBeGreaterThan(300);
  });

  it('refuses a format it does not know rather than reading it wrong', () => {
    expect(() => decodeSlaState('[2]', 1)).toThrow('unknown SLA state format 2');
  });
});
