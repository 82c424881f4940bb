/**
 * Every write that moves a ticket's SLA is conditional on the SLA it folded from: writers racing on one
 * ticket never lose an event, whichever lands first (DynamoDB Local).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { createDocumentClient } from '../../functions/commons/clients/dynamodb';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import { advanceSla } from '../../functions/tickets/sla-state';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

async function openTicket(customer: string): Promise<string> {
  const result = await stack.deliver(composeMessage({ from: customer, subject: 'Deposit missing', text: 'My USDT deposit has not arrived.' }));
  if (!('ticketId' in result) || !result.ticketId) throw new Error(`no ticket: ${JSON.stringify(result)}`);
  return result.ticketId;
}

describe('writes that move the SLA', () => {
  it('refuses a follow-up folded from an SLA someone has changed since, and stores nothing of it', async () => {
    // Prepare
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticketId = await openTicket('race.one@customer.example');
    const asRead = (await store.getTicket(ticketId))!;
    const changed = advanceSla(asRead, [{ type: 'priority', at: new Date().toISOString(), priority: 'urgent' }], new Date(), DEFAULT_SLA_POLICY);
    expect(await store.writeTicketSla(asRead, { priority: 'urgent' }, changed, [])).toBe('changed');
    const message = (await store.listMessages(ticketId))[0]!;

    // Act: a follow-up folded from the version read before the priority change
    const stale = advanceSla(asRead, [{ type: 'customer-message', at: new Date().toISOString() }], new Date(), DEFAULT_SLA_POLICY)!;
    const result = await store.appendFollowUp({ ...message, key: 'ses-stale-follow-up', receivedAt: new Date().toISOString() }, undefined, { reopen: false, sla: { next: stale, readVersion: asRead.slaState!.version } });

    // Assess
    expect(result).toEqual({ status: 'changed-meanwhile' });
    expect((await store.listMessages(ticketId)).map((m) => m.key)).not.toContain('ses-stale-follow-up');
    expect(await store.writeTicketSla(asRead, { priority: 'low' }, changed, [])).toBe('changed-meanwhile');
  });

  it('keeps every customer message of a burst on an answered ticket: each one re-reads and folds again', async () => {
    // Prepare: an answered ticket (waiting on the customer, resolution paused)
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticketId = await openTicket('race.two@customer.example');
    const opened = (await store.getTicket(ticketId))!;
    const at = new Date().toISOString();
    const answered = advanceSla(opened, [{ type: 'staff-answer', at }, { type: 'status', at, status: 'waiting-on-customer' }], new Date(), DEFAULT_SLA_POLICY);
    expect(await store.changeStatus(opened, 'waiting-on-customer', { ticketId, at, key: 'answer', type: 'replied', actor: 'st-test0001', detail: {} }, { sla: answered! })).toBe('changed');

    // Act: five follow-ups at once, each threaded by the ticket reference in its subject
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => stack.deliver(composeMessage({ from: 'race.two@customer.example', subject: `Re: [#${ticketId}] Deposit missing`, text: `More details, part ${i + 1}.` }))),
    );

    // Assess: every message stored, every one folded in once, the ticket open with its next response running
    const ticket = (await store.getTicket(ticketId))!;
    expect(ticket.messageCount).toBe(6);
    expect(ticket.slaState?.version).toBe(1 + 1 + 5);
    expect(ticket.status).toBe('open');
    expect(ticket.slaState?.track.nextResponse).toBeDefined();
    expect(ticket.slaState?.track.resolution?.stretchFrom).toBeDefined();
  });
});
