import { RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2, type GlobalSecondaryIndexPropsV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/adapters/dynamodb/table-schema';
import type { ConciergeFunction } from '../concierge-function';
import { acknowledgeWildcard } from './findings';
import { ResourceGroup } from './resource-group';

/** One global secondary index as the table schema describes it. */
export interface TableIndexSchema {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Non-key attributes the index carries (INCLUDE); absent, it carries every attribute (ALL). */
  readonly projectedAttributes?: readonly string[];
}

export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly ttlAttribute: string;
  readonly customerIndex: TableIndexSchema;
  readonly recentIndex: TableIndexSchema;
  readonly assigneeIndex: TableIndexSchema;
  readonly slaDueIndex: TableIndexSchema;
}

export interface TicketTableProps {
  /** Keys, TTL and indexes; the schema the handlers use unless a test passes another. */
  readonly schema?: TableSchema;
}

const indexProps = (index: TableIndexSchema): GlobalSecondaryIndexPropsV2 => ({
  indexName: index.name,
  partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
  sortKey: { name: index.sortKey, type: AttributeType.STRING },
  ...(index.projectedAttributes
    ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] }
    : { projectionType: ProjectionType.ALL }),
});

/**
 * The single ticket table: on demand, encrypted, point-in-time recovery, TTL, deletion protection, kept when
 * the stack goes. Functions reach it only through `grant`.
 */
export class TicketTable extends ResourceGroup {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: TicketTableProps = {}) {
    super(scope, id);
    const schema = props.schema ?? TABLE_SCHEMA;
    this.table = new TableV2(this, 'Tickets', {
      partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: schema.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: schema.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [schema.customerIndex, schema.recentIndex, schema.assigneeIndex, schema.slaDueIndex].map(indexProps),
    });
  }

  /** Sets TABLE_NAME on `fn` and grants it the table and its indexes, read-only or read-write. */
  grant(fn: ConciergeFunction, access: 'read' | 'read-write'): void {
    fn.bindTable(this.table, access);
    const tableId = Stack.of(this).getLogicalId(this.table.node.defaultChild as CfnElement);
    acknowledgeWildcard(fn, `Resource::<${tableId}.Arn>/index/*`, 'Queries by customer, month, assignee and SLA due time use the table’s own GSIs, and only those.');
  }
}
