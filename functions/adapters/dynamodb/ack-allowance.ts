/**
 * Hourly acknowledgement counters: one item per address and hour, one for the whole desk and hour. Each is
 * counted with a conditional ADD in the same transaction as the write that claims the acknowledgement, so
 * concurrent deliveries can never pass a cap. Clock hours (UTC) keep each counter one small item.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AckAllowance } from '../../ports/ticket-store';
import { epochSeconds } from './items';
import { deskAckCountKey, senderAckCountKey } from './keys';

/** Counters outlive their hour by a day, then expire. */
const COUNTER_TTL_DAYS = 1;

/** The two conditional increments, for a TransactWrite; they fail when a cap is reached. */
export function ackAllowanceUpdates(tableName: string, allowance: AckAllowance, nowMs: number) {
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
