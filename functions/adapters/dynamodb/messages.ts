/** Message items (inbound and outbound) and the Message-ID index that threading reads. */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, TransactWriteCommand, type BatchWriteCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FollowUpOptions, FollowUpResult, IndexedMessageId, MessageIdClaim } from '../../ports/ticket-store';
import type { TicketMessage } from '../../tickets/model';
import { batchGetItems, cancellationReasons, failedCondition, fromItem, isItemTooLarge, oldItemOf, retryOnConflict } from './items';
import { messageIdIndexKey, messageKey, ticketKey } from './keys';
import { openTicketCounterUpdate } from './assignment';
import { slaUpdateParts, updateExpression } from './sla';

/** BatchWriteItem writes at most 25 items per request. */
const BATCH_WRITE_LIMIT = 25;
/** Unprocessed items are retried this many times, with growing pauses, before the write is failed. */
const UNPROCESSED_RETRY_DELAYS_MS = [50, 200, 800, 2_000];

/**
 * Empty lists are left out of the item: a message is billed per kilobyte written, and an acknowledgement with
 * its text sits just under one. Reading back restores them (see listings.ts).
 */
export function messageItem(message: TicketMessage): Record<string, unknown> {
  const { cc, attachments, ...rest } = message;
  return {
    ...messageKey(message.ticketId, message.receivedAt, message.key),
    type: 'message',
    ...rest,
    ...(cc.length > 0 ? { cc } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

/** A message item as the entity: lists left out when empty come back empty. */
export function messageFromItem(item: Record<string, unknown>): TicketMessage {
  const message = fromItem<Partial<TicketMessage>>(item);
  return { ...message, cc: message.cc ?? [], attachments: message.attachments ?? [] } as TicketMessage;
}

export function messageIdItem(claim: MessageIdClaim): Record<string, unknown> {
  return { ...messageIdIndexKey(claim.key), type: 'message-id', ticketId: claim.ticketId, sender: claim.sender, sesMessageId: claim.sesMessageId, proven: claim.proven, ...(claim.outbound ? { outbound: true } : {}) };
}

/** A Message-ID index item as threading reads it. */
export function indexedMessageIdOf(item: Record<string, unknown>): IndexedMessageId {
  return {
    ticketId: String(item.ticketId),
    ...(item.outbound === true ? { outbound: true } : {}),
    ...(typeof item.sender === 'string' ? { sender: item.sender } : {}),
    ...(typeof item.sesMessageId === 'string' ? { sesMessageId: item.sesMessageId } : {}),
    ...(typeof item.proven === 'boolean' ? { proven: item.proven } : {}),
  };
}

export async function lookupMessageIds(client: DynamoDBDocumentClient, tableName: string, keys: readonly string[]): Promise<Map<string, IndexedMessageId>> {
  const found = new Map<string, IndexedMessageId>();
  const unique = [...new Set(keys)];
  const byPk = new Map(unique.map((key) => [messageIdIndexKey(key).pk, key]));
  for (const item of await batchGetItems(client, tableName, unique.map(messageIdIndexKey))) {
    const key = byPk.get(String(item.pk));
    if (key) found.set(key, indexedMessageIdOf(item));
  }
  return found;
}

/** Unconditional, idempotent puts of items whose keys depend only on the delivery. */
export async function putItems(client: DynamoDBDocumentClient, tableName: string, items: Record<string, unknown>[]): Promise<'recorded' | 'too-large'> {
  try {
    for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
      let pending: unknown[] | undefined = items.slice(start, start + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > UNPROCESSED_RETRY_DELAYS_MS.length) throw new Error('DynamoDB left items unprocessed after retries');
        if (attempt > 0) await sleep(UNPROCESSED_RETRY_DELAYS_MS[attempt - 1] ?? 2_000);
        const result: BatchWriteCommandOutput = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
        pending = result.UnprocessedItems?.[tableName];
      }
    }
    return 'recorded';
  } catch (error) {
    if (isItemTooLarge(error)) return 'too-large';
    throw error;
  }
}

/**
 * One transaction: the message (once per delivery: its key holds the SES id), the ticket's counters and
 * status, and the message's own Message-ID (once per sender and Message-ID: a second SES id carrying the same
 * mail finds the index entry written by the first).
 */
export async function appendFollowUp(
  client: DynamoDBDocumentClient,
  tableName: string,
  message: TicketMessage,
  ownMessageId: MessageIdClaim | undefined,
  options: FollowUpOptions,
): Promise<FollowUpResult> {
  const statusUpdate = options.reopen ? ', #status = :open, reopenedAt = :now' : '';
  const sla = options.sla ? slaUpdateParts(message.ticketId, options.sla.next, options.sla.readVersion) : undefined;
  // A closed ticket that reopens counts against its assignee again; the condition keeps the count exact.
  const recount = options.reopen && options.reopenFromClosedFor;
  const items: Record<string, unknown>[] = [
    { Put: { TableName: tableName, Item: messageItem(message), ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Update: {
        TableName: tableName,
        Key: ticketKey(message.ticketId),
        UpdateExpression: updateExpression([`updatedAt = :now, messageCount = messageCount + :one${statusUpdate}`, ...(sla?.set ?? [])], sla?.remove ?? []),
        // A reopen that needs no recount was read as not closed (or unassigned): if staff closed and it counts
        // against someone since, the write fails and the caller reads the ticket again. So does a change of
        // the SLA since it was read.
        ConditionExpression: [
          recount
            ? 'attribute_exists(pk) AND #status = :closed AND assignee = :assignee'
            : options.reopen
              ? 'attribute_exists(pk) AND (#status <> :closed OR attribute_not_exists(assignee))'
              : 'attribute_exists(pk)',
          ...(sla ? [sla.condition] : []),
        ].join(' AND '),
        ...(options.reopen ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExpressionAttributeValues: {
          ':now': message.receivedAt,
          ':one': 1,
          ...(options.reopen ? { ':open': 'open', ':closed': 'closed' } : {}),
          ...(recount ? { ':assignee': options.reopenFromClosedFor } : {}),
          ...(sla?.values ?? {}),
        },
      },
    },
    ...(recount ? [openTicketCounterUpdate(tableName, options.reopenFromClosedFor!, 1)] : []),
  ];
  const ownIndex = items.length;
  if (ownMessageId) {
    items.push({
      Put: {
        TableName: tableName,
        Item: messageIdItem(ownMessageId),
        // A proven message may take over the entry an unproven copy wrote first.
        ConditionExpression: ownMessageId.proven ? 'attribute_not_exists(pk) OR proven <> :true' : 'attribute_not_exists(pk)',
        ...(ownMessageId.proven ? { ExpressionAttributeValues: { ':true': true } } : {}),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  try {
    await retryOnConflict(() => client.send(new TransactWriteCommand({ TransactItems: items as never })));
    return { status: 'recorded' };
  } catch (error) {
    if (isItemTooLarge(error)) return { status: 'too-large' };
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    if (failedCondition(reasons, 0)) return { status: 'duplicate-delivery' };
    if (failedCondition(reasons, 1)) return { status: 'changed-meanwhile' };
    if (ownMessageId && failedCondition(reasons, ownIndex)) {
      const indexed = oldItemOf(reasons[ownIndex]?.Item);
      // The index entry tells a redelivery (same SES id, whatever time its event carries) from the same mail
      // under another SES id; another sender's mail that took this Message-ID first keeps it.
      if (indexed?.sesMessageId === ownMessageId.sesMessageId) return { status: 'duplicate-delivery' };
      if (indexed?.sender === ownMessageId.sender && Boolean(indexed.proven) === ownMessageId.proven) return { status: 'duplicate-origin' };
      return appendFollowUp(client, tableName, message, undefined, options);
    }
    throw error;
  }
}
