/** Delivery receipts: what became of a delivery that made no ticket message. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboundReceipt } from '../../tickets/model';
import { epochSeconds, fromItem, IDEMPOTENCY_RECORD_DAYS, isConditionFailure } from './items';
import { inboundKey, quarantineMonthPartition } from './keys';

/** Quarantined mail stays listed (GSI2) until someone reviews it; other receipts expire. */
export async function recordReceipt(client: DynamoDBDocumentClient, tableName: string, receipt: InboundReceipt): Promise<boolean> {
  const quarantined = receipt.outcome === 'quarantined';
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...inboundKey(receipt.sesMessageId),
          type: 'inbound',
          ...receipt,
          ...(quarantined
            ? { gsi2pk: quarantineMonthPartition(receipt.receivedAt), gsi2sk: `${receipt.receivedAt}#${receipt.sesMessageId}` }
            : { expiresAt: epochSeconds(IDEMPOTENCY_RECORD_DAYS) }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getReceipt(client: DynamoDBDocumentClient, tableName: string, sesMessageId: string): Promise<InboundReceipt | undefined> {
  const result = await client.send(new GetCommand({ TableName: tableName, Key: inboundKey(sesMessageId), ConsistentRead: true }));
  return result.Item ? fromItem<InboundReceipt>(result.Item) : undefined;
}
