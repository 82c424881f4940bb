/**
 * Who a ticket is assigned to, and its status, kept atomic with the assignees' counters: a staff member's
 * `openTickets` counts the tickets assigned to them that are not closed, and least-loaded routing reads it,
 * so every write that moves a ticket between people or in or out of `closed` moves the counters in the same
 * transaction, with the event that records it.
 */
import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Ticket, TicketEvent, TicketSlaState, TicketStatus } from '../../tickets/model';
import { slaUpdateParts, updateExpression } from './sla';
import { cancellationReasons, fromItem, retryOnConflict } from './items';
import { assigneeIndexKey, EVENT_SK_PREFIX, eventKey, staffKey, ticketKey } from './keys';

/** The roster's staff items, where the counters live (see roster.ts). */
export const staffCounterKey = staffKey;

/** Items carry their entity in `type`, so an event's own type is stored as `eventType`. */
export function eventItem(event: TicketEvent): Record<string, unknown> {
  const { type, ...rest } = event;
  return { ...eventKey(event.ticketId, event.at, event.key), ...rest, type: 'event', eventType: type };
}

export function eventFromItem(item: Record<string, unknown>): TicketEvent {
  const { eventType, ...rest } = fromItem<Omit<TicketEvent, 'type'> & { eventType: TicketEvent['type'] }>(item);
  return { ...rest, type: eventType };
}

/** The counter updates for a ticket that starts (+1) or stops (−1) counting against `staffId`. */
export function openTicketCounterUpdate(tableName: string, staffId: string, delta: 1 | -1, assignedAt?: string): Record<string, unknown> {
  return {
    Update: {
      TableName: tableName,
      Key: staffCounterKey(staffId),
      UpdateExpression: `ADD openTickets :delta${assignedAt ? ' SET lastAssignedAt = :at' : ''}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':delta': delta, ...(assignedAt ? { ':at': assignedAt } : {}) },
    },
  };
}

export type ChangeResult = 'changed' | 'changed-meanwhile' | 'unknown-staff';

/**
 * Moves `ticket` (as read) to `to` (a staff id, or undefined to unassign). Fails with `changed-meanwhile`
 * when the ticket's assignee or status is no longer what was read, and `unknown-staff` when an assignee's
 * record is gone.
 */
export async function assignTicket(client: DynamoDBDocumentClient, tableName: string, ticket: Ticket, to: string | undefined, event: TicketEvent): Promise<ChangeResult> {
  const counts = ticket.status !== 'closed';
  const assign = to
    ? { expression: 'SET assignee = :to, assignedAt = :at, updatedAt = :at, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk', values: { ':to': to, ':gsi3pk': assigneeIndexKey(to, ticket.createdAt, ticket.id).gsi3pk, ':gsi3sk': assigneeIndexKey(to, ticket.createdAt, ticket.id).gsi3sk } }
    : { expression: 'SET updatedAt = :at REMOVE assignee, assignedAt, gsi3pk, gsi3sk', values: {} };
  const items: Record<string, unknown>[] = [
    {
      Update: {
        TableName: tableName,
        Key: ticketKey(ticket.id),
        UpdateExpression: assign.expression,
        ConditionExpression: `#status = :status AND ${ticket.assignee ? 'assignee = :from' : 'attribute_not_exists(assignee)'}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...assign.values, ':at': event.at, ':status': ticket.status, ...(ticket.assignee ? { ':from': ticket.assignee } : {}) },
      },
    },
    ...(counts && to ? [openTicketCounterUpdate(tableName, to, 1, event.at)] : []),
    ...(counts && ticket.assignee ? [openTicketCounterUpdate(tableName, ticket.assignee, -1)] : []),
    { Put: { TableName: tableName, Item: eventItem(event) } },
  ];
  return runChange(client, items);
}

/** Sets `ticket`'s status (as read) to `to`, moving its assignee's count in or out of `closed`. */
export async function changeStatus(
  client: DynamoDBDocumentClient,
  tableName: string,
  ticket: Ticket,
  to: TicketStatus,
  event: TicketEvent,
  extra: { firstRespondedAt?: string; sla?: TicketSlaState } = {},
): Promise<ChangeResult> {
  const wasCounted = ticket.status !== 'closed';
  const counted = to !== 'closed';
  const setFirstResponse = extra.firstRespondedAt && !ticket.firstRespondedAt;
  const sla = extra.sla && ticket.slaState ? slaUpdateParts(ticket.id, extra.sla, ticket.slaState.version) : undefined;
  const items: Record<string, unknown>[] = [
    {
      Update: {
        TableName: tableName,
        Key: ticketKey(ticket.id),
        UpdateExpression: updateExpression([`#status = :to, updatedAt = :at${setFirstResponse ? ', firstRespondedAt = if_not_exists(firstRespondedAt, :responded)' : ''}`, ...(sla?.set ?? [])], sla?.remove ?? []),
        ConditionExpression: [`#status = :from AND ${ticket.assignee ? 'assignee = :assignee' : 'attribute_not_exists(assignee)'}`, ...(sla ? [sla.condition] : [])].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': to,
          ':from': ticket.status,
          ':at': event.at,
          ...(ticket.assignee ? { ':assignee': ticket.assignee } : {}),
          ...(setFirstResponse ? { ':responded': extra.firstRespondedAt } : {}),
          ...(sla?.values ?? {}),
        },
      },
    },
    ...(ticket.assignee && wasCounted !== counted ? [openTicketCounterUpdate(tableName, ticket.assignee, counted ? 1 : -1)] : []),
    { Put: { TableName: tableName, Item: eventItem(event) } },
  ];
  return runChange(client, items);
}

async function runChange(client: DynamoDBDocumentClient, items: Record<string, unknown>[]): Promise<ChangeResult> {
  try {
    await retryOnConflict(() => client.send(new TransactWriteCommand({ TransactItems: items as never })));
    return 'changed';
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'changed-meanwhile';
    if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) return 'unknown-staff';
    throw error;
  }
}

/** A ticket's events in time order (bounded: a ticket's history is small beside its messages). */
export async function listEvents(client: DynamoDBDocumentClient, tableName: string, ticketId: string, limit = 500): Promise<TicketEvent[]> {
  const events: TicketEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': ticketKey(ticketId).pk, ':prefix': EVENT_SK_PREFIX },
        Limit: limit - events.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of result.Items ?? []) events.push(eventFromItem(item));
    startKey = result.LastEvaluatedKey;
  } while (startKey && events.length < limit);
  return events;
}
