/**
 * Hourly acknowledgement counters: one item per address and hour, one for the whole desk and hour. Each is
 * counted with a conditional ADD in the same transaction as the write that claims the acknowledgement, so
 * concurrent deliveries can never pass a cap. Clock hours (UTC) keep each counter one small item.
 */
import { PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AckAllowance } from '../../ports/ticket-store';
import { cancellationReasons, epochSeconds, failedCondition, isConditionFailure, oldItemOf, PersistentConflictError, retryOnConflict } from './items';
import { deskAckCountKey, senderAckCountKey } from './keys';

/** Counters outlive their hour by a day, then expire. */
const COUNTER_TTL_DAYS = 1;

/** The two conditional increments, for a TransactWrite; they fail when a cap is reached. */
function ackAllowanceUpdates(tableName: string, allowance: AckAllowance, nowMs: number) {
  const increment = (key: Record<string, string>, limit: number) => ({
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :ttl) ADD #count :one',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': epochSeconds(COUNTER_TTL_DAYS, nowMs) },
    },
  });
  return [increment(senderAckCountKey(allowance.sender, allowance.hour), allowance.perSenderLimit), increment(deskAckCountKey(allowance.hour), allowance.deskLimit)];
}

/** What a write counted against the allowance came to. */
export type CountedWriteResult =
  | { status: 'written' }
  /** The write's own condition failed; `old` is the item as it stood. */
  | { status: 'condition-failed'; old: Record<string, unknown> | undefined }
  /** A cap is reached, or the counters stayed contended: nothing was written. */
  | { status: 'over-ack-limit' };

/**
 * One conditional write (a Put or an Update that returns the old item on failure), alone or, with an
 * allowance, in one transaction with the two counters. Both the ticket that carries an acknowledgement's
 * first claim and a later claim go through here. Counters that stay contended count as a reached cap: the
 * acknowledgement is withheld rather than the delivery failed.
 */
export async function writeCountingAllowance(
  client: DynamoDBDocumentClient,
  tableName: string,
  write: { Put: Record<string, unknown> } | { Update: Record<string, unknown> },
  allowance: AckAllowance | undefined,
  nowMs: number,
): Promise<CountedWriteResult> {
  try {
    if (!allowance) await client.send('Put' in write ? (new PutCommand(write.Put as never) as never) : (new UpdateCommand(write.Update as never) as never));
    else await retryOnConflict(() => client.send(new TransactWriteCommand({ TransactItems: [write, ...ackAllowanceUpdates(tableName, allowance, nowMs)] as never })));
    return { status: 'written' };
  } catch (error) {
    if (error instanceof PersistentConflictError) return { status: 'over-ack-limit' };
    if (isConditionFailure(error)) return { status: 'condition-failed', old: oldItemOf(error.Item) };
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    if (failedCondition(reasons, 0)) return { status: 'condition-failed', old: oldItemOf(reasons[0]?.Item) };
    if (failedCondition(reasons, 1) || failedCondition(reasons, 2)) return { status: 'over-ack-limit' };
    throw error;
  }
}

/** Gives back one counted acknowledgement (best effort: a lost decrement only makes the cap stricter). */
export async function returnAckAllowance(client: DynamoDBDocumentClient, tableName: string, allowance: AckAllowance): Promise<void> {
  for (const key of [senderAckCountKey(allowance.sender, allowance.hour), deskAckCountKey(allowance.hour)]) {
    await client
      .send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'ADD #count :minusOne',
          ConditionExpression: '#count > :zero',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      )
      // Best effort: a slot not given back only makes this hour's cap stricter; it must not fail the delivery.
      .catch(() => undefined);
  }
}
