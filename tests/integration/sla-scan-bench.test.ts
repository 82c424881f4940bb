/**
 * The bench's SLA scan phase on DynamoDB Local, on small numbers: the scan's billed read units follow what is
 * due, not what is open. Units are counted, not timed, so the figure does not depend on the machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import { measureSlaScans, slaBenchTickets } from '../../scripts/bench/sla-scan';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});

describe('the SLA scan bench', () => {
  it('opens the same due tickets in every table, and no other ticket is due', () => {
    // Prepare
    const now = new Date('2026-11-21T10:00:00.000Z');

    // Act
    const many = slaBenchTickets(40, 4, now, DEFAULT_SLA_POLICY);
    const few = slaBenchTickets(8, 4, now, DEFAULT_SLA_POLICY);

    // Assess
    const isDue = (checkAt: string | undefined) => checkAt !== undefined && checkAt <= now.toISOString();
    expect(many.slice(0, 4)).toEqual(few.slice(0, 4));
    expect(many.filter((ticket) => isDue(ticket.slaState?.checkAt)).map((ticket) => ticket.id)).toEqual(few.slice(0, 4).map((ticket) => ticket.id));
    expect(new Set(many.map((ticket) => ticket.id)).size).toBe(40);
    expect(many.every((ticket) => ticket.slaState?.checkAt !== undefined && ticket.status === 'open')).toBe(true);
  });

  it('bills a scan of 300 open tickets within 10% of one of 30, with the same 5 due acted on in each', async () => {
    // Act
    const [large, small] = await measureSlaScans({ dynamoEndpoint: stack.dynamoEndpoint, openTickets: [300, 30], dueTickets: 5 });

    // Assess: the same work done in both, completely
    for (const run of [large!, small!]) {
      expect(run.dueTickets).toBe(5);
      expect(run.summary).toMatchObject({ due: 5, deferred: 0, more: false });
      expect(run.summary.warnings).toBeGreaterThan(0);
      expect(run.summary.breaches).toBeGreaterThan(0);
      expect(run.actedOn).toBe(5);
      expect(run.mailsAccepted).toBe(run.summary.warnings + run.summary.breaches);
      expect(run.dueAfter).toBe(0);
      expect(run.readUnits).toBeGreaterThan(0);
    }
    // Assess: what is open and not due costs nothing to read
    expect(large!.readUnits / small!.readUnits).toBeLessThanOrEqual(1.1);
    expect(large!.requests).toBe(small!.requests);
  });
});
