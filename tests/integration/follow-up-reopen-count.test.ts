/**
 * A customer's follow-up reopens its ticket in the same write as the assignee's open-ticket count (DynamoDB
 * Local): a follow-up that read the ticket before staff closed it must not reopen it uncounted.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { staffCounterKey } from '../../functions/adapters/dynamodb/assignment';
import { ticketItem } from '../../functions/adapters/dynamodb/tickets';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { Ticket, TicketMessage } from '../../functions/tickets/model';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let client: DynamoDBDocumentClient;
let store: DynamoTicketStore;

beforeAll(async () => {
  stack = await startTestStack();
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials }), { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoTicketStore(client, stack.tableName);
});

afterAll(async () => {
  client?.destroy();
  await stack?.teardown();
});

const ref = () => randomBytes(4).toString('hex').toUpperCase().slice(0, 6);

async function openTickets(id: string): Promise<number> {
  const result = await client.send(new GetCommand({ TableName: stack.tableName, Key: staffCounterKey(id), ConsistentRead: true }));
  return Number(result.Item?.openTickets ?? 0);
}

it('keeps the count exact when staff close the ticket between the follow-up’s read and its write', async () => {
  const agent = `st-a${ref().toLowerCase()}`;
  await client.send(new PutCommand({ TableName: stack.tableName, Item: { ...staffCounterKey(agent), type: 'staff', id: agent, openTickets: 1, vipBook: 0 } }));
  const now = new Date().toISOString();
  const id = ref();
  const asRead: Ticket = {
    id,
    ref: id,
    subject: 'Withdrawal pending',
    category: 'deposit-withdrawal',
    status: 'waiting-on-customer',
    customer: 'c@example.com',
    parties: ['c@example.com'],
    flags: [],
    language: 'en',
    tier: 'standard',
    priority: 'normal',
    assignee: agent,
    assignedAt: now,
    createdAt: now,
    updatedAt: now,
    firstResponseDueAt: now,
    messageCount: 1,
    openedBy: { sesMessageId: id, origin: id },
    ack: { state: 'not-needed' },
  };
  await client.send(new PutCommand({ TableName: stack.tableName, Item: ticketItem(asRead) }));
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
