/**
 * Tickets by opening time on the real store (DynamoDB Local): the month partitions of GSI2 a range touches,
 * queried on their sort key range, then the current tickets read by key; a range holding more than the limit
 * is refused rather than cut short.
 */
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketKey } from '../../functions/adapters/dynamodb/keys';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { Ticket } from '../../functions/tickets/model';
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

async function putTicket(createdAt: string, overrides: Partial<Ticket> = {}): Promise<Ticket> {
  return storeTicket(client, stack.tableName, sampleTicket({ createdAt, ...overrides }));
}

describe('tickets opened between two instants', () => {
  it('lists the tickets of [from, to) across months and a new year, oldest first, as they are now', async () => {
    // Prepare
    const before = await putTicket('2025-12-19T23:59:59.999Z');
    const atFrom = await putTicket('2025-12-20T00:00:00.000Z', { tier: 'vip', priority: 'urgent', assignee: 'st-aaaaaaaa' });
    const january = await putTicket('2026-01-15T08:30:00.000Z');
    const lastMoment = await putTicket('2026-01-31T23:59:59.999Z');
    const atTo = await putTicket('2026-02-01T00:00:00.000Z');
    // Changed after it was indexed: the listing reads the ticket, not the index entry.
    await client.send(
      new UpdateCommand({ TableName: stack.tableName, Key: ticketKey(january.id), UpdateExpression: 'SET #status = :closed, firstRespondedAt = :at', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':closed': 'closed', ':at': '2026-01-15T09:00:00.000Z' } }),
    );

    // Act
    const result = await store.listTicketsOpenedBetween(new Date('2025-12-20T00:00:00.000Z'), new Date('2026-02-01T00:00:00.000Z'), 100);

    // Assess
    if (result.status !== 'listed') throw new Error(`expected a listing, got ${result.status}`);
    expect(result.tickets.map((ticket) => ticket.id)).toEqual([atFrom.id, january.id, lastMoment.id]);
    expect(result.tickets.map((ticket) => ticket.id)).not.toContain(before.id);
    expect(result.tickets.map((ticket) => ticket.id)).not.toContain(atTo.id);
    expect(result.tickets[0]).toEqual({ id: atFrom.id, tier: 'vip', priority: 'urgent', category: 'deposit-withdrawal', assignee: 'st-aaaaaaaa', createdAt: atFrom.createdAt, status: 'open' });
    expect(result.tickets[1]).toMatchObject({ status: 'closed', firstRespondedAt: '2026-01-15T09:00:00.000Z' });
  });

  it('reads only what a report needs of each ticket, however long its subject', async () => {
    // Prepare
    const long = await putTicket('2024-03-05T10:00:00.000Z', { subject: 'x'.repeat(100_000) });

    // Act
    const result = await store.listTicketsOpenedBetween(new Date('2024-03-01T00:00:00.000Z'), new Date('2024-04-01T00:00:00.000Z'), 10);

    // Assess
    expect(result.status === 'listed' && result.tickets.map((ticket) => [ticket.id, Object.keys(ticket).sort()])).toEqual([[long.id, ['category', 'createdAt', 'id', 'priority', 'status', 'tier']]]);
  });

  it('refuses a range holding more tickets than the limit, and lists one holding exactly the limit', async () => {
    // Prepare: three tickets in two months.
    await putTicket('2023-05-31T12:00:00.000Z');
    await putTicket('2023-06-01T12:00:00.000Z');
    await putTicket('2023-06-02T12:00:00.000Z');
    const from = new Date('2023-05-01T00:00:00.000Z');
    const to = new Date('2023-07-01T00:00:00.000Z');

    // Act
    const tooMany = await store.listTicketsOpenedBetween(from, to, 2);
    const exactly = await store.listTicketsOpenedBetween(from, to, 3);

    // Assess
    expect(tooMany).toEqual({ status: 'too-many', limit: 2 });
    expect(exactly.status === 'listed' && exactly.tickets).toHaveLength(3);
  });

  it('lists nothing for a range without tickets', async () => {
    expect(await store.listTicketsOpenedBetween(new Date('2020-01-01T00:00:00.000Z'), new Date('2020-12-31T00:00:00.000Z'), 10)).toEqual({ status: 'listed', tickets: [] });
  });
});
