/**
 * Paged listings. Index queries return keys and the few attributes that never change; the current items are
 * then read by key in one batch, so index entries never need rewriting when a ticket changes.
 */
import { BatchGetCommand, QueryCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../ports/ticket-store';
import type { InboundReceipt, Ticket, TicketMessage } from '../../tickets/model';
import { fromItem } from './items';
import { customerPartition, MESSAGE_SK_PREFIX, quarantineMonthPartition, ticketKey, ticketMonthPartition } from './keys';
import { TABLE_SCHEMA } from './table-schema';

/** A cursor that was not made by this store, or has been tampered with. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/** Newest-tickets listings walk back at most this many months. */
export const RECENT_MONTHS = 12;
const MAX_CURSOR_CHARS = 2_048;

type Key = Record<string, string>;

function encodeCursor(value: { key?: Key; month?: string }): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Reads a cursor back, accepting only the exact attributes `expected` names, each a string of the right shape. */
function decodeCursor(cursor: string, expected: readonly string[], prefixes: Record<string, string>): { key?: Key; month?: string } {
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('cursor is not one this API returned');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not one this API returned');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidCursorError('cursor is not one this API returned');
  const { key, month, ...rest } = value as { key?: unknown; month?: unknown };
  if (Object.keys(rest).length > 0) throw new InvalidCursorError('cursor is not one this API returned');
  if (month !== undefined && (typeof month !== 'string' || !/^\d{4}-\d{2}$/.test(month))) throw new InvalidCursorError('cursor is not one this API returned');
  if (key === undefined) return month === undefined ? {} : { month };
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw new InvalidCursorError('cursor is not one this API returned');
  const entries = Object.entries(key as Record<string, unknown>);
  const valid =
    entries.length === expected.length &&
    entries.every(([name, field]) => expected.includes(name) && typeof field === 'string' && field.length <= 2_048 && field.startsWith(prefixes[name] ?? ''));
  if (!valid) throw new InvalidCursorError('cursor is not one this API returned');
  return { key: key as Key, ...(typeof month === 'string' ? { month } : {}) };
}

async function readByKeys<T>(client: DynamoDBDocumentClient, tableName: string, keys: Key[]): Promise<T[]> {
  if (keys.length === 0) return [];
  const byId = new Map<string, Record<string, unknown>>();
  let pending: Key[] | undefined = keys;
  while (pending && pending.length > 0) {
    const result: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }));
    for (const item of result.Responses?.[tableName] ?? []) byId.set(`${String(item.pk)}\n${String(item.sk)}`, item);
    pending = result.UnprocessedKeys?.[tableName]?.Keys as Key[] | undefined;
  }
  return keys.map((key) => byId.get(`${key.pk}\n${key.sk}`)).filter((item): item is Record<string, unknown> => item !== undefined).map((item) => fromItem<T>(item));
}

async function queryIndexPage(
  client: DynamoDBDocumentClient,
  tableName: string,
  index: { name: string; partitionKey: string },
  partition: string,
  limit: number,
  startKey: Key | undefined,
): Promise<{ keys: Key[]; last?: Key }> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return {
    keys: (result.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
    ...(result.LastEvaluatedKey ? { last: result.LastEvaluatedKey as Key } : {}),
  };
}

const INDEX_KEY_ATTRIBUTES = (index: { partitionKey: string; sortKey: string }) => ['pk', 'sk', index.partitionKey, index.sortKey];

export async function listTicketsByCustomer(client: DynamoDBDocumentClient, tableName: string, customer: string, limit: number, cursor?: string): Promise<Page<Ticket>> {
  const index = TABLE_SCHEMA.customerIndex;
  const partition = customerPartition(customer);
  const start = cursor ? decodeCursor(cursor, INDEX_KEY_ATTRIBUTES(index), { pk: 'TICKET#', [index.partitionKey]: partition }) : {};
  const page = await queryIndexPage(client, tableName, index, partition, limit, start.key);
  const items = await readByKeys<Ticket>(client, tableName, page.keys);
  return { items, ...(page.last ? { next: encodeCursor({ key: page.last }) } : {}) };
}

function previousMonth(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const date = new Date(Date.UTC(year, monthNumber - 2, 1));
  return date.toISOString().slice(0, 7);
}

/** Newest tickets across customers, month by month back to RECENT_MONTHS before `now`. */
export async function listRecentTickets(client: DynamoDBDocumentClient, tableName: string, limit: number, cursor?: string, now = new Date()): Promise<Page<Ticket>> {
  const index = TABLE_SCHEMA.recentIndex;
  const newest = now.toISOString().slice(0, 7);
  let oldest = newest;
  for (let step = 1; step < RECENT_MONTHS; step += 1) oldest = previousMonth(oldest);
  const start = cursor ? decodeCursor(cursor, INDEX_KEY_ATTRIBUTES(index), { pk: 'TICKET#', [index.partitionKey]: 'TICKETS#' }) : {};
  let month = start.month ?? newest;
  if (month > newest || month < oldest) throw new InvalidCursorError('cursor is not one this API returned');
  let startKey = start.key;
  if (startKey && startKey[index.partitionKey] !== ticketMonthPartition(month)) throw new InvalidCursorError('cursor is not one this API returned');
  const keys: Key[] = [];
  for (;;) {
    const page = await queryIndexPage(client, tableName, index, ticketMonthPartition(month), limit - keys.length, startKey);
    keys.push(...page.keys);
    if (page.last) {
      if (keys.length >= limit) return { items: await readByKeys<Ticket>(client, tableName, keys), next: encodeCursor({ key: page.last, month }) };
      startKey = page.last;
      continue;
    }
    startKey = undefined;
    if (month <= oldest) return { items: await readByKeys<Ticket>(client, tableName, keys) };
    month = previousMonth(month);
    if (keys.length >= limit) return { items: await readByKeys<Ticket>(client, tableName, keys), next: encodeCursor({ month }) };
  }
}

/** Messages per page by default: at most 100 KB of text each keeps a page well under API Gateway's 10 MB. */
export const DEFAULT_MESSAGE_PAGE = 25;

/** A ticket's messages in the order they arrived. */
export async function listMessages(client: DynamoDBDocumentClient, tableName: string, ticketId: string, limit = DEFAULT_MESSAGE_PAGE, cursor?: string): Promise<Page<TicketMessage>> {
  const pk = ticketKey(ticketId).pk;
  const start = cursor ? decodeCursor(cursor, ['pk', 'sk'], { pk, sk: MESSAGE_SK_PREFIX }) : {};
  if (start.key && start.key.pk !== pk) throw new InvalidCursorError('cursor belongs to another ticket');
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': MESSAGE_SK_PREFIX },
      Limit: limit,
      ...(start.key ? { ExclusiveStartKey: start.key } : {}),
    }),
  );
  return {
    items: (result.Items ?? []).map((item) => fromItem<TicketMessage>(item)),
    ...(result.LastEvaluatedKey ? { next: encodeCursor({ key: result.LastEvaluatedKey as Key }) } : {}),
  };
}

export async function listQuarantined(client: DynamoDBDocumentClient, tableName: string, monthIso: string, limit: number): Promise<InboundReceipt[]> {
  const page = await queryIndexPage(client, tableName, TABLE_SCHEMA.recentIndex, quarantineMonthPartition(monthIso), limit, undefined);
  return readByKeys<InboundReceipt>(client, tableName, page.keys);
}
