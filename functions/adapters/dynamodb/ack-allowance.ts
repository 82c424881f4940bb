/**
 * Hourly acknowledgement counts: one item per clock hour (UTC) holding the desk's total and, beside it, each
 * acknowledged sender's count under an attribute named by a digest of the address. One conditional `ADD` on
 * that item checks and counts both caps at once, so concurrent deliveries can never pass either cap, and a
 * new ticket's acknowledgement is counted by one small write outside any transaction.
 *
 * The item grows by about 12 bytes per distinct sender acknowledged in the hour and never past the desk cap's
 * worth of senders (a reached cap writes nothing): about 1 KB at 80 senders, 3 KB at the default cap of 200.
 * A write is billed per started KB of the item, so a desk that acknowledges hundreds of different people an
 * hour pays a few units per acknowledgement instead of one. An item DynamoDB would refuse as too large (some
 * 34,000 senders in one hour) counts as a reached cap. The curve is in docs/data-model.md.
 */
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AckAllowance } from '../../ports/ticket-store';
import { cancellationReasons, epochSeconds, failedCondition, isConditionFailure, isItemTooLarge, oldItemOf, PersistentConflictError, retryOnConflict } from './items';
import { ackCountKey, senderCountAttribute } from './keys';

/** Counts outlive their hour by a day, then expire. */
const COUNTER_TTL_DAYS = 1;
const DESK_TOTAL = 'total';

/** The conditional increment of the hour's desk total and the sender's count; it fails when a cap is reached. */
function ackAllowanceUpdate(tableName: string, allowance: AckAllowance, nowMs: number) {
  return {
    TableName: tableName,
    Key: ackCountKey(allowance.hour),
    UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :ttl) ADD #total :one, #sender :one',
    ConditionExpression: '(attribute_not_exists(#total) OR #total < :deskLimit) AND (attribute_not_exists(#sender) OR #sender < :senderLimit)',
    ExpressionAttributeNames: { '#total': DESK_TOTAL, '#sender': senderCountAttribute(allowance.sender) },
    ExpressionAttributeValues: { ':one': 1, ':deskLimit': allowance.deskLimit, ':senderLimit': allowance.perSenderLimit, ':ttl': epochSeconds(COUNTER_TTL_DAYS, nowMs) },
  };
}

/** Counts one acknowledgement against the hour's caps, alone (one UpdateItem). */
export async function takeAckAllowance(client: DynamoDBDocumentClient, tableName: string, allowance: AckAllowance, nowMs: number): Promise<'granted' | 'over-ack-limit'> {
  try {
    await client.send(new UpdateCommand(ackAllowanceUpdate(tableName, allowance, nowMs)));
    return 'granted';
  } catch (error) {
    if (isConditionFailure(error) || isItemTooLarge(error)) return 'over-ack-limit';
    throw error;
  }
}

/** What a write counted against the allowance came to. */
export type CountedWriteResult =
  | { status: 'written' }
  /** The write's own condition failed; `old` is the item as it stood. */
  | { status: 'condition-failed'; old: Record<string, unknown> | undefined }
  /** A cap is reached, or the count stayed contended: nothing was written. */
  | { status: 'over-ack-limit' };

/**
 * One conditional Update that returns the old item on failure, in one transaction with the hour's count: a
 * later claim of an acknowledgement (a redelivery taking over a released claim) is counted atomically with
 * it. A count that stays contended counts as a reached cap: the acknowledgement is withheld rather than the
 * delivery failed.
 */
export async function updateCountingAllowance(client: DynamoDBDocumentClient, tableName: string, update: Record<string, unknown>, allowance: AckAllowance, nowMs: number): Promise<CountedWriteResult> {
  try {
    await retryOnConflict(() => client.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, { Update: ackAllowanceUpdate(tableName, allowance, nowMs) }] as never })));
    return { status: 'written' };
  } catch (error) {
    if (error instanceof PersistentConflictError || isItemTooLarge(error)) return { status: 'over-ack-limit' };
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    if (failedCondition(reasons, 0)) return { status: 'condition-failed', old: oldItemOf(reasons[0]?.Item) };
    if (failedCondition(reasons, 1) || reasons[1]?.Code === 'ValidationError') return { status: 'over-ack-limit' };
    throw error;
  }
}

/**
 * Gives back one counted acknowledgement (best effort: a lost give-back only makes the cap stricter). A
 * sender whose count is back to zero leaves the item, so counts given back do not make it grow.
 */
export async function returnAckAllowance(client: DynamoDBDocumentClient, tableName: string, allowance: AckAllowance): Promise<void> {
  const names = { '#total': DESK_TOTAL, '#sender': senderCountAttribute(allowance.sender) };
  try {
    const result = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: ackCountKey(allowance.hour),
        UpdateExpression: 'ADD #total :minusOne, #sender :minusOne',
        ConditionExpression: '#total > :zero AND #sender > :zero',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    if (result.Attributes?.[names['#sender']] !== 0) return;
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: ackCountKey(allowance.hour),
        UpdateExpression: 'REMOVE #sender',
        ConditionExpression: '#sender = :zero',
        ExpressionAttributeNames: { '#sender': names['#sender'] },
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
  } catch {
    // Best effort: a slot not given back only makes this hour's cap stricter; it must not fail the delivery.
  }
}
