/**
 * The ticket table's key attributes, TTL attribute and indexes: the CDK stack, the local stack and the
 * DynamoDB adapter all build the table from this. Plain data with no imports, so `cdk synth` reads it
 * without loading the AWS SDK.
 *
 * An index with `projectedAttributes` projects only those non-key attributes (INCLUDE); an index without
 * them projects every attribute (ALL).
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  customerIndex: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  recentIndex: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
} as const;
