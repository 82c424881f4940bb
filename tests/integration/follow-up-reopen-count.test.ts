/**
 * A customer's follow-up reopens its ticket in the same write as the assignee's open-ticket count (DynamoDB
 * Local): a follow-up that read the ticket before staff closed it must not reopen it uncounted.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { staffCounterKey } from '../../functions/adapters/dynamodb/assignment';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { TicketMessage } from '../../functions/tickets/model';
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

async function openTickets(id: string): Promise<number> {
  const result = await client.send(new GetCommand({ TableName: stack.tableName, Key: staffCounterKey(id), ConsistentRead: true }));
  return Number(result.Item?.openTickets ?? 0);
}

it('keeps the count exact when staff close the ticket between the follow-up’s read and its write', async () => {
  const agent = `st-a${ref().toLowerCase()}`;
  await client.send(new PutCommand({ TableName: stack.tableName, Item: { ...staffCounterKey(agent), type: 'staff', id: agent, openTickets: 1, vipBook: 0 } }));
  const now = new Date().toISOString();
  const id = ref();
  const asRead = await storeTicket(
    client,
    stack.tableName,
    sampleTicket({ id, createdAt: now, status: 'waiting-on-customer', customer: 'c@example.com', parties: ['c@example.com'], assignee: agent, assignedAt: now }),
  );
  const followUp: TicketMessage = {
    ticketId: id,
    key: `ses-${ref()}`,
    direction: 'inbound',
    from: 'c@example.com',
    to: ['support@desk.test'],
    cc: [],
    messageId: `<${ref()}@example.com>`,
    subject: 'Re: Withdrawal pending',
    text: 'Still pending.',
    attachments: [],
    classification: { kind: 'person', reason: 'person' },
    language: 'en',
    receivedAt: now,
  };

  // Staff close it after the follow-up read it as waiting on the customer.
  expect(await store.changeStatus(asRead, 'closed', { ticketId: id, at: now, key: 'close', type: 'status-changed', actor: 'api', detail: {} })).toBe('changed');
  // The follow-up goes on with what it read (as receive-message does): reopen, no recount.
  await store.appendFollowUp(followUp, undefined, { reopen: true }).catch(() => undefined);

  const ticket = await store.getTicket(id);
  expect(await openTickets(agent)).toBe(ticket!.status === 'closed' ? 0 : 1);
});
