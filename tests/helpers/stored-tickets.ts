/**
 * Tickets written straight into a test stack's table, for storage tests that need a ticket in a given state
 * without sending mail: a document client on the stack's DynamoDB, and a valid ticket with defaults.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ticketItem } from '../../functions/adapters/dynamodb/tickets';
import type { Ticket } from '../../functions/tickets/model';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import type { TestStack } from './local-stack';

export function documentClientFor(stack: Pick<TestStack, 'dynamoEndpoint'>): DynamoDBDocumentClient {
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials }), { marshallOptions: { removeUndefinedValues: true } });
}

/** Six characters that can serve as a reference in a test (not drawn from the reference alphabet). */
export const testRef = () => randomBytes(4).toString('hex').toUpperCase().slice(0, 6);

/** An open standard ticket about a pending withdrawal, opened now by `c-<ref>@example.com`, with `overrides`. */
export function sampleTicket(overrides: Partial<Ticket> = {}): Ticket {
  const id = overrides.id ?? testRef();
  const createdAt = overrides.createdAt ?? new Date().toISOString();
  const customer = overrides.customer ?? `c-${id.toLowerCase()}@example.com`;
  return {
    id,
    ref: id,
    subject: 'Withdrawal pending',
    category: 'deposit-withdrawal',
    status: 'open',
    customer,
    parties: [customer],
    flags: [],
    language: 'en',
    tier: 'standard',
    priority: 'normal',
    createdAt,
    updatedAt: createdAt,
    firstResponseDueAt: createdAt,
    messageCount: 1,
    openedBy: { sesMessageId: id, origin: id },
    ack: { state: 'not-needed' },
    ...overrides,
  };
}

/** Writes `ticket` as the store would, unconditionally. */
export async function storeTicket(client: DynamoDBDocumentClient, tableName: string, ticket: Ticket): Promise<Ticket> {
  await client.send(new PutCommand({ TableName: tableName, Item: ticketItem(ticket) }));
  return ticket;
}
