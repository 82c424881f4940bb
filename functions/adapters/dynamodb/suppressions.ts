/**
 * The suppression list on the single table: one item per address (`SUPPRESSION#<address>`), listed while
 * active in GSI2 (`SUPPRESSED` / `<suppressedAt>#<address>`). A lift keeps the item: it gains `liftedAt`,
 * `liftedBy`, `liftReason` and an entry in `lifts`, and leaves the index; the cause it lifted goes into
 * `liftedCauses`, so a redelivery of the same notification cannot suppress the address again.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../ports/ticket-store';
import type { SuppressionLiftRequest, SuppressionPosition, SuppressionStore } from '../../ports/suppression-store';
import { normaliseAddress, type NewSuppression, type Suppression, type SuppressionLift, type SuppressionReason } from '../../suppression/model';
import { batchGetItems, isConditionFailure } from './items';
import { suppressedIndexKey, suppressionKey } from './keys';
import { queryPartition } from './query';
import { TABLE_SCHEMA } from './table-schema';

/** Lift reasons and names are cut to this many characters before they are stored. */
const MAX_LIFT_TEXT_CHARS = 500;
/** Diagnostic texts come from remote mail servers: stored cut to this many characters. */
const MAX_DETAIL_CHARS = 1_000;

const DETAIL_FIELDS = ['bounceType', 'bounceSubType', 'diagnosticCode', 'status', 'complaintFeedbackType', 'sesMessageId', 'ticketId'] as const;

export function suppressionOf(item: Record<string, unknown>): Suppression {
  const text = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] as string } : {});
  return {
    email: String(item.email),
    reason: item.reason as SuppressionReason,
    suppressedAt: String(item.suppressedAt),
    cause: String(item.cause ?? ''),
    ...Object.assign({}, ...DETAIL_FIELDS.map(text)),
    active: typeof item.liftedAt !== 'string',
    ...text('liftedAt'),
    ...text('liftedBy'),
    ...text('liftReason'),
    lifts: Array.isArray(item.lifts) ? (item.lifts as SuppressionLift[]) : [],
  };
}

export class DynamoSuppressionStore implements SuppressionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getSuppression(email: string): Promise<Suppression | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: suppressionKey(email) }));
    return result.Item ? suppressionOf(result.Item) : undefined;
  }

  async suppress(entry: NewSuppression): Promise<'suppressed' | 'already-suppressed'> {
    const email = normaliseAddress(entry.email);
    const details = Object.fromEntries(DETAIL_FIELDS.flatMap((name) => (entry[name] ? [[name, entry[name]!.slice(0, MAX_DETAIL_CHARS)]] : [])));
    const fields: Record<string, unknown> = { type: 'suppression', email, reason: entry.reason, suppressedAt: entry.suppressedAt, cause: entry.cause, ...details, ...suppressedIndexKey(entry.suppressedAt, email) };
    // Every name through a placeholder: `status` is one of DynamoDB's reserved words.
    const names = Object.fromEntries(Object.keys(fields).map((name, index) => [`#f${index}`, name]));
    const values = Object.fromEntries(Object.values(fields).map((value, index) => [`:f${index}`, value]));
    // A new suppression replaces an earlier one's details; fields it does not have are removed with the lift's.
    const stale = DETAIL_FIELDS.filter((name) => !(name in details));
    const staleNames = Object.fromEntries(stale.map((name, index) => [`#r${index}`, name]));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: suppressionKey(email),
          UpdateExpression: `SET ${Object.keys(names)
            .map((name, index) => `${name} = :f${index}`)
            .join(', ')} REMOVE liftedAt, liftedBy, liftReason${Object.keys(staleNames).map((name) => `, ${name}`).join('')}`,
          // New, or lifted — and never by a cause that was lifted before (a redelivered notification).
          ConditionExpression: '(attribute_not_exists(pk) OR attribute_exists(liftedAt)) AND NOT contains(liftedCauses, :cause)',
          ExpressionAttributeNames: { ...names, ...staleNames },
          ExpressionAttributeValues: { ...values, ':cause': entry.cause },
        }),
      );
      return 'suppressed';
    } catch (error) {
      if (isConditionFailure(error)) return 'already-suppressed';
      throw error;
    }
  }

  async lift(email: string, lift: SuppressionLiftRequest): Promise<Suppression | undefined> {
    const current = await this.client.send(new GetCommand({ TableName: this.tableName, Key: suppressionKey(email), ConsistentRead: true }));
    if (!current.Item || typeof current.Item.liftedAt === 'string') return undefined;
    const read = suppressionOf(current.Item);
    const entry: SuppressionLift = { at: lift.at, by: lift.by.slice(0, MAX_LIFT_TEXT_CHARS), reason: lift.reason.slice(0, MAX_LIFT_TEXT_CHARS), suppressedReason: read.reason, suppressedAt: read.suppressedAt };
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: suppressionKey(email),
          UpdateExpression: 'SET liftedAt = :at, liftedBy = :by, liftReason = :reason, lifts = list_append(if_not_exists(lifts, :none), :entry) ADD liftedCauses :cause REMOVE gsi2pk, gsi2sk',
          // The suppression as read, still active: a lift never lands on a newer suppression it did not see.
          ConditionExpression: 'suppressedAt = :suppressedAt AND attribute_not_exists(liftedAt)',
          ExpressionAttributeValues: { ':at': entry.at, ':by': entry.by, ':reason': entry.reason, ':none': [], ':entry': [entry], ':cause': new Set([read.cause]), ':suppressedAt': read.suppressedAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? suppressionOf(result.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async listSuppressions(limit: number, after?: SuppressionPosition): Promise<Page<Suppression>> {
    const index = TABLE_SCHEMA.recentIndex;
    const startKey = after ? { ...suppressionKey(after.email), ...suppressedIndexKey(after.suppressedAt, after.email) } : undefined;
    const entries = await queryPartition(this.client, this.tableName, { index: index.name, partitionKey: index.partitionKey, value: suppressedIndexKey('', '').gsi2pk }, limit + 1, {
      newestFirst: true,
      ...(startKey ? { startKey } : {}),
    });
    const page = entries.slice(0, limit);
    const items = await batchGetItems(
      this.client,
      this.tableName,
      page.map((entry) => ({ pk: entry.pk, sk: entry.sk })),
    );
    const byPk = new Map(items.map((item) => [String(item.pk), suppressionOf(item)]));
    // In index order; one lifted between the query and the read is left out.
    const suppressions = page.flatMap((entry) => {
      const found = byPk.get(String(entry.pk));
      return found && found.active ? [found] : [];
    });
    return { items: suppressions, more: entries.length > limit };
  }
}
