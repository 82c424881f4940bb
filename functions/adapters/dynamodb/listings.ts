/**
 * Paged listings. A page continues after a position (the last item returned) that the API validated; start
 * keys are built here by the key functions, so nothing a caller writes reaches DynamoDB as a key. Index
 * queries return keys and the few attributes that never change; the current tickets are then read by key in
 * one batch, so index entries never need rewriting when a ticket changes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MessagePosition, Page, TicketPosition, TicketSlaFacts, TicketsOpenedResult } from '../../ports/ticket-store';
import type { InboundReceipt, Ticket, TicketMessage } from '../../tickets/model';
import { batchGetItems, fromItem } from './items';
import { messageFromItem } from './messages';
import { queryPartition } from './query';
import { SLA_STATE_ATTRIBUTES } from './sla-codec';
import { ticketFromItem } from './tickets';
import { assigneeIndexKey, customerIndexKey, customerPartition, MESSAGE_SK_PREFIX, messageKey, quarantineMonthPartition, recentIndexKey, ticketKey, ticketMonthPartition } from './keys';
import { TABLE_SCHEMA } from './table-schema';

/** How far back `GET /tickets` without a customer looks. */
export const RECENT_TICKET_MONTHS = 12;

type Key = Record<string, string>;

/** The items under `keys`, in the order of `keys` (one batch read per 100), or only the attributes `projection` names. */
async function readByKeys<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: Key[],
  decode: (item: Record<string, unknown>) => T = fromItem<T>,
  projection?: { expression: string; names: Record<string, string> },
): Promise<T[]> {
  const byKey = new Map<string, Record<string, unknown>>();
  const options = projection ? { projection: projection.expression, names: projection.names } : {};
  for (const item of await batchGetItems(client, tableName, keys, options)) byKey.set(`${String(item.pk)}\n${String(item.sk)}`, item);
  return keys.flatMap((key) => {
    const item = byKey.get(`${key.pk}\n${key.sk}`);
    return item ? [decode(item)] : [];
  });
}

const baseKeyOf = (item: Record<string, unknown>): Key => ({ pk: String(item.pk), sk: String(item.sk) });

function pageOf<T>(items: T[], limit: number): Page<T> {
  return { items: items.slice(0, limit), more: items.length > limit };
}

export async function listTicketsByCustomer(client: DynamoDBDocumentClient, tableName: string, customer: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>> {
  const index = TABLE_SCHEMA.customerIndex;
  const startKey = after && { ...ticketKey(after.id), ...customerIndexKey(customer, after.createdAt, after.id) };
  // One more than asked, so the last page is known to be the last.
  const entries = await queryPartition(client, tableName, { index: index.name, partitionKey: index.partitionKey, value: customerPartition(customer) }, limit + 1, {
    newestFirst: true,
    ...(startKey ? { startKey } : {}),
  });
  const page = pageOf(entries, limit);
  return { items: await readByKeys(client, tableName, page.items.map(baseKeyOf), ticketFromItem), more: page.more };
}

/** A staff member's tickets (open and closed), newest first. */
export async function listTicketsByAssignee(client: DynamoDBDocumentClient, tableName: string, staffId: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>> {
  const index = TABLE_SCHEMA.assigneeIndex;
  const startKey = after && { ...ticketKey(after.id), ...assigneeIndexKey(staffId, after.createdAt, after.id) };
  const entries = await queryPartition(client, tableName, { index: index.name, partitionKey: index.partitionKey, value: assigneeIndexKey(staffId, '', '').gsi3pk }, limit + 1, {
    newestFirst: true,
    ...(startKey ? { startKey } : {}),
  });
  const page = pageOf(entries, limit);
  return { items: await readByKeys(client, tableName, page.items.map(baseKeyOf), ticketFromItem), more: page.more };
}

export async function listRecentTickets(
  client: DynamoDBDocumentClient,
  tableName: string,
  limit: number,
  options: { after?: TicketPosition; now?: Date; months?: number } = {},
): Promise<Page<Ticket>> {
  const index = TABLE_SCHEMA.recentIndex;
  const now = options.now ?? new Date();
  const months = options.months ?? RECENT_TICKET_MONTHS;
  const oldest = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1);
  const after = options.after;
  const month = after ? new Date(`${after.createdAt.slice(0, 7)}-01T00:00:00Z`) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const entries: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined = after && { ...ticketKey(after.id), ...recentIndexKey(after.createdAt, after.id) };
  while (month.getTime() >= oldest && entries.length <= limit) {
    entries.push(
      ...(await queryPartition(client, tableName, { index: index.name, partitionKey: index.partitionKey, value: ticketMonthPartition(month.toISOString()) }, limit + 1 - entries.length, {
        newestFirst: true,
        ...(startKey ? { startKey } : {}),
      })),
    );
    startKey = undefined;
    month.setUTCMonth(month.getUTCMonth() - 1);
  }
  const page = pageOf(entries, limit);
  return { items: await readByKeys(client, tableName, page.items.map(baseKeyOf), ticketFromItem), more: page.more };
}

export async function listMessagesPage(client: DynamoDBDocumentClient, tableName: string, ticketId: string, limit: number, after?: MessagePosition): Promise<Page<TicketMessage>> {
  const startKey = after && messageKey(ticketId, after.receivedAt, after.key);
  const items = await queryPartition(client, tableName, { partitionKey: TABLE_SCHEMA.partitionKey, value: ticketKey(ticketId).pk, sortKey: { name: TABLE_SCHEMA.sortKey, prefix: MESSAGE_SK_PREFIX } }, limit + 1, {
    newestFirst: false,
    ...(startKey ? { startKey } : {}),
  });
  return pageOf(items.map(messageFromItem), limit);
}

export async function listMessages(client: DynamoDBDocumentClient, tableName: string, ticketId: string): Promise<TicketMessage[]> {
  const messages: TicketMessage[] = [];
  for (;;) {
    const last = messages.at(-1);
    const page = await listMessagesPage(client, tableName, ticketId, 100, last && { receivedAt: last.receivedAt, key: last.key });
    messages.push(...page.items);
    if (!page.more) return messages;
  }
}

export async function listQuarantined(client: DynamoDBDocumentClient, tableName: string, monthIso: string, limit: number): Promise<InboundReceipt[]> {
  const index = TABLE_SCHEMA.recentIndex;
  const entries = await queryPartition(client, tableName, { index: index.name, partitionKey: index.partitionKey, value: quarantineMonthPartition(monthIso) }, limit, { newestFirst: true });
  return readByKeys<InboundReceipt>(client, tableName, entries.map(baseKeyOf));
}

/** The attributes a report reads of a ticket (ports/ticket-store.ts TicketSlaFacts), and its key to order by. */
const SLA_FACT_ATTRIBUTES = ['pk', 'sk', 'id', 'tier', 'priority', 'category', 'assignee', 'createdAt', 'firstRespondedAt', 'status', ...SLA_STATE_ATTRIBUTES] as const satisfies ReadonlyArray<
  keyof TicketSlaFacts | 'pk' | 'sk' | (typeof SLA_STATE_ATTRIBUTES)[number]
>;
const SLA_FACTS_PROJECTION = {
  // Placeholders for every name: `status` is one of DynamoDB's reserved words.
  expression: SLA_FACT_ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
  names: Object.fromEntries(SLA_FACT_ATTRIBUTES.map((name, index) => [`#a${index}`, name])),
};

/**
 * Keys read per round of batch reads: ten requests of 100 in flight at a time, so a large range does not
 * open hundreds of requests at once.
 */
const OPENED_BETWEEN_READ_ROUND = 1_000;

/**
 * The tickets opened in [from, to), oldest first: the month partitions of GSI2 the range touches, each queried
 * on its sort key range, then the current tickets read by key (only the attributes a report needs: a
 * subject is as long as its sender made it). The index is read up to `limit + 1` entries, so a range that
 * holds more than `limit` costs the index reads of `limit` tickets and no ticket reads.
 */
export async function listTicketsOpenedBetween(client: DynamoDBDocumentClient, tableName: string, from: Date, to: Date, limit: number): Promise<TicketsOpenedResult> {
  const index = TABLE_SCHEMA.recentIndex;
  const keys: Key[] = [];
  const month = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (month.getTime() < to.getTime() && keys.length <= limit) {
    // Sort keys are `<createdAt>#<ref>`: every ticket opened in [from, to) sorts between the two instants, and
    // one opened at `to` itself sorts after it (its `#<ref>` follows), so BETWEEN is the half-open range.
    const entries = await queryPartition(
      client,
      tableName,
      { index: index.name, partitionKey: index.partitionKey, value: ticketMonthPartition(month.toISOString()), sortKey: { name: index.sortKey, between: [from.toISOString(), to.toISOString()] } },
      limit + 1 - keys.length,
      { newestFirst: false, projection: 'pk, sk' },
    );
    keys.push(...entries.map(baseKeyOf));
    month.setUTCMonth(month.getUTCMonth() + 1);
  }
  if (keys.length > limit) return { status: 'too-many', limit };
  const tickets: TicketSlaFacts[] = [];
  for (let start = 0; start < keys.length; start += OPENED_BETWEEN_READ_ROUND) {
    tickets.push(...(await readByKeys<TicketSlaFacts>(client, tableName, keys.slice(start, start + OPENED_BETWEEN_READ_ROUND), ticketFromItem, SLA_FACTS_PROJECTION)));
  }
  return { status: 'listed', tickets };
}
