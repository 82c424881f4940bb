import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import { newTicket, type NewTicketInput } from '../../functions/tickets/new-ticket';

function input(overrides: Partial<NewTicketInput> = {}): NewTicketInput {
  return {
    ref: 'K7Q3XM',
    mail: { subject: 'Withdrawal pending', cc: [] },
    sender: 'dana@customer.example',
    visibleText: 'My withdrawal is pending.',
    language: 'en',
    decision: { kind: 'new' },
    trust: 'aligned',
    ownAddresses: ['support@concierge.test'],
    slaPolicy: DEFAULT_SLA_POLICY,
    openedBy: { sesMessageId: 'ses-1', origin: 'dana@customer.example\nid:1@x' },
    ack: { state: 'not-needed' },
    now: new Date('2026-11-21T10:00:00.000Z'),
    ...overrides,
  };
}

describe('a new ticket', () => {
  it('is keyed by its reference, promises the first response by the policy, and lets the people copied write in', () => {
    const ticket = newTicket(input({ mail: { subject: 'Hi', cc: [{ address: 'boss@customer.example', name: '' }, { address: 'support+k7q3xm-abc@concierge.test', name: '' }] } }));
    expect(ticket).toMatchObject({ id: 'K7Q3XM', ref: 'K7Q3XM', status: 'open', flags: [], firstResponseDueAt: '2026-11-22T10:00:00.000Z' });
    expect(ticket.parties).toEqual(['dana@customer.example', 'boss@customer.example']);
  });

  it('lets the people copied write in only when the From address is proven', () => {
    const cc = [{ address: 'mallory@evil.example', name: '' }];
    expect(newTicket(input({ trust: 'unaligned', mail: { subject: 'Hi', cc } })).parties).toEqual(['dana@customer.example']);
    expect(newTicket(input({ trust: 'aligned', mail: { subject: 'Hi', cc } })).parties).toEqual(['dana@customer.example', 'mallory@evil.example']);
  });

  it('is flagged unless the From address is proven, and urgent for a security incident', () => {
    for (const trust of ['unaligned', 'unknown', 'failed'] as const) expect(newTicket(input({ trust })).flags).toContain('unverified-sender');
    const incident = newTicket(input({ mail: { subject: 'Account hacked', cc: [] } }));
    expect(incident).toMatchObject({ priority: 'urgent', flags: ['security-incident'], firstResponseDueAt: '2026-11-21T11:00:00.000Z' });
  });

  it('reads copied addresses in time linear in their length, whatever they hold', () => {
    // Prepare: a Cc "address" of 250,000 plus signs and no @, as a hostile header parses to
    const hostile = Array.from({ length: 60 }, () => ({ address: '+'.repeat(250_000), name: '' }));

    // Act
    const ticket = newTicket(input({ mail: { subject: 'Hi', cc: hostile } }));

    // Assess: nobody to add, and nothing huge stored on the ticket
    expect(ticket.parties).toEqual(['dana@customer.example']);
  });
});
