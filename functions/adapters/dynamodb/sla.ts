/**
 * A ticket's stored SLA (tickets/model.ts TicketSlaState) and the due index the SLA scan reads. Every write of
 * the SLA is conditional on the version it was folded from, and moves the ticket's due-index entry in the
 * same write, so the index never points at a time the ticket no longer has.
 */
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page, SlaDueEntry, SlaFieldsChange, SlaPolicyMark } from '../../ports/ticket-store';
import type { Ticket, TicketEvent, TicketSlaState } from '../../tickets/model';
import { eventItem } from './assignment';
import { batchGetItems, cancellationReasons, retryOnConflict } from './items';
import { encodeSlaState } from './sla-codec';
import { ticketFromItem } from './tickets';
import { SLA_DUE_PARTITION, slaDueIndexKey, slaPolicyMarkKey, ticketKey } from './keys';
import { queryPartition } from './query';
import { TABLE_SCHEMA } from './table-schema';

/** Parts of a ticket update that write its SLA, to join with the update's own. */
export interface SlaUpdateParts {
  set: string[];
  remove: string[];
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/**
 * Sets `next` (folded from the ticket's SLA at `readVersion`) and the due-index entry it implies, on
 * condition that nobody wrote the SLA since it was read.
 */
export function slaUpdateParts(ticketId: string, next: TicketSlaState, readVersion: number): SlaUpdateParts {
  const due = next.checkAt ? slaDueIndexKey(next.checkAt, ticketId) : undefined;
  return {
    set: ['sla = :sla', 'slaVersion = :slaVersion', ...(due ? ['gsi4pk = :gsi4pk', 'gsi4sk = :gsi4sk'] : [])],
    remove: due ? [] : ['gsi4pk', 'gsi4sk'],
    condition: 'slaVersion = :slaReadVersion',
    names: {},
    values: { ':sla': encodeSlaState(next), ':slaVersion': next.version, ':slaReadVersion': readVersion, ...(due ? { ':gsi4pk': due.gsi4pk, ':gsi4sk': due.gsi4sk } : {}) },
  };
}

/** `SET a, b REMOVE c` from its parts. */
export function updateExpression(set: readonly string[], remove: readonly string[]): string {
  return [set.length > 0 ? `SET ${set.join(', ')}` : '', remove.length > 0 ? `REMOVE ${remove.join(', ')}` : ''].filter(Boolean).join(' ');
}

/**
 * Writes `ticket`'s SLA as `next` (with a priority or category change, if any) and its events, in one
 * transaction conditional on the SLA as read. `changed-meanwhile` when another write came first.
 */
export async function writeTicketSla(
  client: DynamoDBDocumentClient,
  tableName: string,
  ticket: Ticket,
  change: SlaFieldsChange,
  next: TicketSlaState | undefined,
  events: readonly TicketEvent[],
): Promise<'changed' | 'changed-meanwhile'> {
  const sla = next && ticket.slaState ? slaUpdateParts(ticket.id, next, ticket.slaState.version) : undefined;
  const set = [...(sla?.set ?? []), ...(change.priority ? ['priority = :priority'] : []), ...(change.category ? ['category = :category'] : []), ...(change.updatedAt ? ['updatedAt = :updatedAt'] : []), ...(change.firstResponseDueAt ? ['firstResponseDueAt = :firstResponseDueAt'] : []), ...(change.flags ? ['flags = :flags'] : [])];
  const values = {
    ...(sla?.values ?? {}),
    ...(change.priority ? { ':priority': change.priority } : {}),
    ...(change.category ? { ':category': change.category } : {}),
    ...(change.updatedAt ? { ':updatedAt': change.updatedAt } : {}),
    ...(change.firstResponseDueAt ? { ':firstResponseDueAt': change.firstResponseDueAt } : {}),
    ...(change.flags ? { ':flags': change.flags } : {}),
  };
  // A ticket stored before the SLA engine has no clocks to fold: its fields change on the fields as read.
  const condition = sla ? `attribute_exists(pk) AND ${sla.condition}` : 'attribute_exists(pk) AND attribute_not_exists(slaVersion) AND priority = :readPriority';
  const items: Record<string, unknown>[] = [
    {
      Update: {
        TableName: tableName,
        Key: ticketKey(ticket.id),
        UpdateExpression: updateExpression(set, sla?.remove ?? []),
        ConditionExpression: condition,
        ExpressionAttributeValues: { ...values, ...(sla ? {} : { ':readPriority': ticket.priority }) },
      },
    },
    ...events.map((event) => ({ Put: { TableName: tableName, Item: eventItem(event) } })),
  ];
  try {
    await retryOnConflict(() => client.send(new TransactWriteCommand({ TransactItems: items as never })));
    return 'changed';
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return 'changed-meanwhile';
    throw error;
  }
}

/** After the last entry of a page of the due index. */
export interface SlaDuePosition {
  checkAt: string;
  ticketId: string;
}

/**
 * Due-index entries whose time is at or before `until`, earliest first: `limit` of them after `after`. The
 * query's key condition stops at `until`, so it reads what is due and nothing else.
 */
export async function listSlaDue(client: DynamoDBDocumentClient, tableName: string, until: string, limit: number, after?: SlaDuePosition): Promise<Page<SlaDueEntry>> {
  const index = TABLE_SCHEMA.slaDueIndex;
  const startKey = after ? { ...ticketKey(after.ticketId), ...slaDueIndexKey(after.checkAt, after.ticketId) } : undefined;
  // `~` sorts after every character of a reference, so every entry of `until` itself is included.
  const items = await queryPartition(
    client,
    tableName,
    { index: index.name, partitionKey: index.partitionKey, value: SLA_DUE_PARTITION, sortKey: { name: index.sortKey, atMost: `${until}#~` } },
    limit + 1,
    { newestFirst: false, ...(startKey ? { startKey } : {}) },
  );
  const entries = items.map((item): SlaDueEntry => {
    const sortKey = String(item[index.sortKey]);
    const cut = sortKey.lastIndexOf('#');
    return { checkAt: sortKey.slice(0, cut), ticketId: sortKey.slice(cut + 1) };
  });
  return { items: entries.slice(0, limit), more: entries.length > limit };
}

/** The tickets under `ids`, read strongly consistent (the scan acts on what they are now), in no order. */
export async function getTicketsConsistent(client: DynamoDBDocumentClient, tableName: string, ids: readonly string[]): Promise<Ticket[]> {
  const items = await batchGetItems(client, tableName, ids.map(ticketKey), { consistent: true });
  return items.map(ticketFromItem);
}

export async function getSlaPolicyMark(client: DynamoDBDocumentClient, tableName: string): Promise<SlaPolicyMark | undefined> {
  const result = await client.send(new GetCommand({ TableName: tableName, Key: slaPolicyMarkKey(), ConsistentRead: true }));
  if (!result.Item) return undefined;
  const { fingerprint, reindexing } = result.Item as Partial<SlaPolicyMark>;
  return { ...(fingerprint ? { fingerprint } : {}), ...(reindexing ? { reindexing } : {}) };
}

export async function putSlaPolicyMark(client: DynamoDBDocumentClient, tableName: string, mark: SlaPolicyMark): Promise<void> {
  await client.send(new PutCommand({ TableName: tableName, Item: { ...slaPolicyMarkKey(), type: 'sla-policy', ...mark } }));
}
