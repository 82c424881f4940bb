/**
 * The single table's key attributes and indexes, free of the AWS SDK so that `cdk synth` and the local stack
 * can create the table without loading it. Access patterns are listed in docs/data-model.md.
 */

/**
 * Attributes copied into both ticket indexes besides the keys. Only attributes that never change after a
 * ticket is created: an update that touches none of an index's projected attributes writes nothing to it.
 * Listings read the current ticket by key after the index query.
 */
const IMMUTABLE_TICKET_ATTRIBUTES = ['id', 'customer', 'createdAt'] as const;

export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  customerIndex: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projectedAttributes: IMMUTABLE_TICKET_ATTRIBUTES as readonly string[] },
  recentIndex: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projectedAttributes: IMMUTABLE_TICKET_ATTRIBUTES as readonly string[] },
  /** A staff member's tickets; only assigned tickets have its keys (a sparse index). */
  assigneeIndex: { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projectedAttributes: IMMUTABLE_TICKET_ATTRIBUTES as readonly string[] },
  /**
   * Tickets by when the SLA scan must next look at them (`<checkAt>#<ref>`); only tickets with something left
   * to watch have its keys (a sparse index), so the scan's query reads what is due, not what is open.
   */
  slaDueIndex: { name: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projectedAttributes: IMMUTABLE_TICKET_ATTRIBUTES as readonly string[] },
} as const;

export type IndexDefinition =
  | (typeof TABLE_SCHEMA)['customerIndex']
  | (typeof TABLE_SCHEMA)['recentIndex']
  | (typeof TABLE_SCHEMA)['assigneeIndex']
  | (typeof TABLE_SCHEMA)['slaDueIndex'];

/** The CreateTable request for the local stack, in the SDK's shape but built without importing it. */
export function createTableInput(tableName: string) {
  const { customerIndex, recentIndex, assigneeIndex, slaDueIndex } = TABLE_SCHEMA;
  const indexes = [customerIndex, recentIndex, assigneeIndex, slaDueIndex];
  const attributes = ['pk', 'sk', ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projectedAttributes] },
    })),
  };
}
