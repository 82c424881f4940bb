/**
 * Assignment, status and outbound send-once records on the real store (DynamoDB Local): the assignees'
 * open-ticket counts move atomically with the ticket, a stale read changes nothing, and a message's own
 * send-once record is claimed once.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffCounterKey } from '../../functions/adapters/dynamodb/assignment';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { Ticket, TicketEvent, TicketMessage } from '../../functions/tickets/model';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { documentClientFor, sampleTicket, storeTicket, testRef } from '../helpers/stored-tickets';

let stack: TestStack;
let client: DynamoDBDocumentClient;
let store: DynamoTicketStore;

beforeAll(async () => {
  stack = await startTestStack();
  client = documentClientFor(stack);
  store = new DynamoTicketStore(client, stack.tableName);
});

afterAll(async () => {
  client?.destroy();
  await stack?.teardown();
});

const ref = testRef;

async function putStaff(id: string): Promise<void> {
  await client.send(new PutCommand({ TableName: stack.tableName, Item: { ...staffCounterKey(id), type: 'staff', id, openTickets: 0, vipBook: 0 } }));
}

async function openTickets(id: string): Promise<number> {
  const result = await client.send(new GetCommand({ TableName: stack.tableName, Key: staffCounterKey(id), ConsistentRead: true }));
  return Number(result.Item?.openTickets ?? 0);
}

async function putTicket(overrides: Partial<Ticket> = {}): Promise<Ticket> {
  return storeTicket(client, stack.tableName, sampleTicket({ parties: [], ...overrides }));
}

const event = (ticket: Ticket, type: TicketEvent['type'], key: string, detail: Record<string, string> = {}): TicketEvent => ({ ticketId: ticket.id, at: new Date().toISOString(), key, type, actor: 'routing', detail });

describe('assignment', () => {
  it('moves the open-ticket count from the old assignee to the new one, with the event, and lists the ticket under its assignee', async () => {
    const [alice, bob] = [`st-a${ref().toLowerCase()}`, `st-b${ref().toLowerCase()}`];
    await putStaff(alice);
    await putStaff(bob);
    const ticket = await putTicket();

    expect(await store.assignTicket(ticket, alice, event(ticket, 'assigned', 'a1', { to: alice }))).toBe('changed');
    expect(await openTickets(alice)).toBe(1);
    const assigned = (await store.getTicket(ticket.id))!;
    expect(assigned.assignee).toBe(alice);

    expect(await store.assignTicket(assigned, bob, event(ticket, 'reassigned', 'a2', { from: alice, to: bob }))).toBe('changed');
    expect([await openTickets(alice), await openTickets(bob)]).toEqual([0, 1]);
    expect((await store.listTicketsByAssignee(bob, 10)).items.map((t) => t.id)).toEqual([ticket.id]);
    expect((await store.listTicketsByAssignee(alice, 10)).items).toEqual([]);
    expect((await store.listEvents(ticket.id)).map((e) => [e.type, e.detail])).toEqual([
      ['assigned', { to: alice }],
      ['reassigned', { from: alice, to: bob }],
    ]);
  });

  it('changes nothing when the ticket was reassigned since it was read', async () => {
    const [alice, bob] = [`st-c${ref().toLowerCase()}`, `st-d${ref().toLowerCase()}`];
    await putStaff(alice);
    await putStaff(bob);
    const ticket = await putTicket();
    expect(await store.assignTicket(ticket, alice, event(ticket, 'assigned', 'a1'))).toBe('changed');
    // `ticket` is the read from before the assignment: unassigned.
    expect(await store.assignTicket(ticket, bob, event(ticket, 'assigned', 'a2'))).toBe('changed-meanwhile');
    expect([await openTickets(alice), await openTickets(bob)]).toEqual([1, 0]);
    expect((await store.listEvents(ticket.id)).length).toBe(1);
  });

  it('refuses an assignee without a staff record, writing nothing', async () => {
    const ticket = await putTicket();
    expect(await store.assignTicket(ticket, 'st-nobody', event(ticket, 'assigned', 'a1'))).toBe('unknown-staff');
    expect((await store.getTicket(ticket.id))!.assignee).toBeUndefined();
  });

  it('does not count a closed ticket against its assignee', async () => {
    const alice = `st-e${ref().toLowerCase()}`;
    await putStaff(alice);
    const ticket = await putTicket({ status: 'closed' });
    expect(await store.assignTicket(ticket, alice, event(ticket, 'assigned', 'a1'))).toBe('changed');
    expect(await openTickets(alice)).toBe(0);
  });
});

describe('status', () => {
  it('closing takes the ticket off its assignee’s count and reopening puts it back; the first response is kept once', async () => {
    const alice = `st-f${ref().toLowerCase()}`;
    await putStaff(alice);
    let ticket = await putTicket();
    await store.assignTicket(ticket, alice, event(ticket, 'assigned', 'a1'));
    ticket = (await store.getTicket(ticket.id))!;

    expect(await store.changeStatus(ticket, 'waiting-on-customer', event(ticket, 'status-changed', 's1'), { firstRespondedAt: '2026-11-21T10:00:00.000Z' })).toBe('changed');
    ticket = (await store.getTicket(ticket.id))!;
    expect([ticket.status, ticket.firstRespondedAt, await openTickets(alice)]).toEqual(['waiting-on-customer', '2026-11-21T10:00:00.000Z', 1]);

    expect(await store.changeStatus(ticket, 'closed', event(ticket, 'status-changed', 's2'), { firstRespondedAt: '2026-11-21T11:00:00.000Z' })).toBe('changed');
    ticket = (await store.getTicket(ticket.id))!;
    expect([ticket.status, ticket.firstRespondedAt, await openTickets(alice)]).toEqual(['closed', '2026-11-21T10:00:00.000Z', 0]);

    expect(await store.changeStatus(ticket, 'open', event(ticket, 'status-changed', 's3'))).toBe('changed');
    expect(await openTickets(alice)).toBe(1);
    // A second change from the same stale read is refused.
    expect(await store.changeStatus(ticket, 'open', event(ticket, 'status-changed', 's4'))).toBe('changed-meanwhile');
    expect(await openTickets(alice)).toBe(1);
  });
});

describe('a message’s own send-once record', () => {
  const message = (ticket: Ticket, key: string): TicketMessage => ({
    ticketId: ticket.id,
    key,
    direction: 'outbound',
    purpose: 'notification',
    from: 'support@desk.test',
    to: ['agent@desk.test'],
    cc: [],
    messageId: '<note.x@desk.test>',
    subject: `[#${ticket.ref}] New message`,
    text: 'New text',
    attachments: [],
    classification: { kind: 'auto-reply', reason: 'notification' },
    language: 'en',
    receivedAt: new Date().toISOString(),
  });

  it('is claimed once; its record lists the message as sent and indexes the id SES gave it', async () => {
    const ticket = await putTicket();
    const ledger = store.outboundLedger(message(ticket, '~note:1'));
    const now = Date.now();
    expect(await ledger.claim('h1', now, now + 60_000)).toEqual({ status: 'claimed' });
    expect(await ledger.claim('h2', now, now + 60_000)).toEqual({ status: 'busy' });
    // Only the holder may release.
    await ledger.release('h2');
    expect(await ledger.claim('h3', now, now + 60_000)).toEqual({ status: 'busy' });

    await ledger.recordSent('h1', { sesMessageId: 'ses-1', messageId: '<ses-1@email.amazonses.com>', ownMessageId: '<note.x@desk.test>', sentAt: new Date().toISOString() });
    const again = await ledger.claim('h4', now, now + 60_000);
    expect(again.status).toBe('settled');
    expect(again.status === 'settled' && again.record).toMatchObject({ state: 'sent', sesMessageId: 'ses-1', messageId: '<ses-1@email.amazonses.com>' });

    const listed = (await store.listMessages(ticket.id)).find((m) => m.key === '~note:1');
    expect(listed).toMatchObject({ sendState: 'sent', sesMessageId: 'ses-1', purpose: 'notification' });
    expect(listed?.holder).toBeUndefined();
    const index = await store.lookupMessageIds(['ses:ses-1']);
    expect(index.get('ses:ses-1')).toMatchObject({ ticketId: ticket.id, outbound: true });
  });

  it('a claim whose lease ran out becomes unknown, never a second send; a certain failure releases it for a retry', async () => {
    const ticket = await putTicket();
    const lapsed = store.outboundLedger(message(ticket, '~note:2'));
    const now = Date.now();
    expect((await lapsed.claim('h1', now, now - 1)).status).toBe('claimed');
    expect(await lapsed.claim('h2', now, now + 60_000)).toEqual({ status: 'abandoned' });
    const settled = await lapsed.claim('h3', now, now + 60_000);
    expect(settled.status === 'settled' && settled.record.state).toBe('unknown');

    const released = store.outboundLedger(message(ticket, '~note:3'));
    expect((await released.claim('h1', now, now + 60_000)).status).toBe('claimed');
    await released.release('h1');
    expect((await released.claim('h2', now, now + 60_000)).status).toBe('claimed');
    await released.reject('h2', 'MessageRejected: no');
    const rejected = await released.claim('h3', now, now + 60_000);
    expect(rejected.status === 'settled' && rejected.record).toMatchObject({ state: 'rejected', error: 'MessageRejected: no' });
  });
});
