import { describe, expect, it } from 'vitest';
import type { SlaReport } from '../../functions/sla/report';
import { humanDuration, percent, slaLines, slaReportTables } from '../../scripts/cli/sla-commands';

describe('what `sla report` prints', () => {
  it('writes durations as their two largest units and rates as percentages', () => {
    expect([0, 45, 60, 750, 7200, 7500, 90_061, 172_800, 12.6].map(humanDuration)).toEqual(['0s', '45s', '1m', '12m 30s', '2h', '2h 5m', '1d 1h', '2d', '13s']);
    expect([humanDuration(null), humanDuration(undefined)]).toEqual(['-', '-']);
    expect([0, 0.3333, 0.5, 0.6667, 1].map(percent)).toEqual(['0%', '33.3%', '50%', '66.7%', '100%']);
  });

  it('puts the tier and priority rows in one table and the assignee rows in another', () => {
    const figures = { tickets: 3, breaches: 1, breachRate: 0.3333, firstResponseP50Seconds: 600, firstResponseP90Seconds: 750, atRisk: 2 };
    const report: SlaReport = {
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      generatedAt: '2026-11-20T12:00:00.000Z',
      tickets: 3,
      rows: [
        { group: 'tier-priority', tier: 'vip', priority: 'urgent', ...figures },
        { group: 'assignee', assignee: 'unassigned', ...figures, firstResponseP50Seconds: null, firstResponseP90Seconds: null },
      ],
    };

    expect(slaReportTables(report)).toEqual({
      heading: 'SLA report: 3 tickets opened from 2026-11-01T00:00:00.000Z to 2026-12-01T00:00:00.000Z (as of 2026-11-20T12:00:00.000Z)',
      byTierPriority: [
        ['TIER', 'PRIORITY', 'TICKETS', 'BREACHED', 'BREACH RATE', 'FIRST RESPONSE P50', 'P90', 'AT RISK'],
        ['vip', 'urgent', '3', '1', '33.3%', '10m', '12m 30s', '2'],
      ],
      byAssignee: [
        ['ASSIGNEE', 'TICKETS', 'BREACHED', 'BREACH RATE', 'FIRST RESPONSE P50', 'P90', 'AT RISK'],
        ['unassigned', '3', '1', '33.3%', '-', '-', '2'],
      ],
    });
  });
});

describe("a ticket's SLA on `tickets show`", () => {
  it('reads one line per target that applies, with what is due, left or missed', () => {
    expect(
      slaLines({
        firstResponse: { state: 'breached', dueAt: '2026-11-20T11:15:00.000Z', breachedAt: '2026-11-20T11:15:00.000Z', warnedAt: '2026-11-20T11:11:15.000Z' },
        nextResponse: { state: 'met', dueAt: '2026-11-20T13:00:00.000Z' },
        resolution: { state: 'paused', remainingSeconds: 5400 },
      }),
    ).toEqual(['first response: breached at 2026-11-20T11:15:00.000Z, warned 2026-11-20T11:11:15.000Z', 'next response: met (due 2026-11-20T13:00:00.000Z)', 'resolution: paused, 1h 30m left']);
    expect(slaLines({ firstResponse: { state: 'running', dueAt: '2026-11-21T10:00:00.000Z' } })).toEqual(['first response: running, due 2026-11-21T10:00:00.000Z']);
    expect(slaLines({})).toEqual([]);
  });
});
