/** Queries of one partition, shared by every listing and by the SLA scan. */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Which sort keys of the partition a query reads: those with a prefix, in a range, or up to a value. */
export type SortKeyCondition = { name: string } & ({ prefix: string } | { between: readonly [string, string] } | { atMost: string });

function sortKeyCondition(condition: SortKeyCondition | undefined): { expression: string; values: Record<string, string> } {
  if (!condition) return { expression: '', values: {} };
  if ('prefix' in condition) return { expression: ' AND begins_with(#sk, :sk1)', values: { ':sk1': condition.prefix } };
  if ('between' in condition) return { expression: ' AND #sk BETWEEN :sk1 AND :sk2', values: { ':sk1': condition.between[0], ':sk2': condition.between[1] } };
  return { expression: ' AND #sk <= :sk1', values: { ':sk1': condition.atMost } };
}

/**
 * Up to `limit` items of one partition (of the table or an index), walking on past DynamoDB's 1 MB pages;
 * only the sort keys `sortKey` names, and only the attributes `projection` names, when given.
 */
export async function queryPartition(
  client: DynamoDBDocumentClient,
  tableName: string,
  partition: { index?: string; partitionKey: string; value: string; sortKey?: SortKeyCondition },
  limit: number,
  options: { newestFirst: boolean; startKey?: Record<string, unknown>; projection?: string },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const range = sortKeyCondition(partition.sortKey);
  let startKey = options.startKey;
  do {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        ...(partition.index ? { IndexName: partition.index } : {}),
        KeyConditionExpression: `#pk = :pk${range.expression}`,
        ExpressionAttributeNames: { '#pk': partition.partitionKey, ...(partition.sortKey ? { '#sk': partition.sortKey.name } : {}) },
        ExpressionAttributeValues: { ':pk': partition.value, ...range.values },
        ScanIndexForward: !options.newestFirst,
        Limit: limit - items.length,
        ...(options.projection ? { ProjectionExpression: options.projection } : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(result.Items ?? []));
    startKey = result.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items;
}
