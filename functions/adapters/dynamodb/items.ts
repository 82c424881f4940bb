/** Helpers every entity adapter shares: item ⇄ entity, DynamoDB's refusals turned into answers. */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** How long idempotency records live: far longer than any SES or Lambda redelivery. */
export const IDEMPOTENCY_RECORD_DAYS = 30;

export const epochSeconds = (days: number, nowMs = Date.now()) => Math.floor(nowMs / 1000) + days * 86_400;

const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'type', 'expiresAt']);

/** An entity as stored, minus the key attributes. The store wrote it, so its shape is trusted here. */
export function fromItem<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key))) as T;
}

/** Items returned with a failed condition come back in DynamoDB's wire format, even through the document client. */
export function oldItemOf(item: unknown): Record<string, unknown> | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const values = Object.values(item as Record<string, unknown>);
  const looksMarshalled = values.length > 0 && values.every((value) => value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && /^(S|N|B|SS|NS|BS|M|L|NULL|BOOL)$/.test(Object.keys(value)[0] ?? ''));
  return looksMarshalled ? unmarshall(item as never) : (item as Record<string, unknown>);
}

/** DynamoDB refuses an item over 400 KB with a ValidationException; retrying cannot help. */
export function isItemTooLarge(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException' && /item size/i.test(error.message);
}

export interface CancellationReason {
  Code?: string;
  Item?: unknown;
}

/** The reasons of a cancelled transaction, or undefined when `error` is something else. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []) as CancellationReason[];
}

export const failedCondition = (reasons: CancellationReason[], index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';

export function isConditionFailure(error: unknown): error is Error & { Item?: unknown } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Pauses before retrying a transaction that lost a race on an item (jittered, about 1.5 s at most in all). */
const CONFLICT_RETRY_DELAYS_MS = [10, 30, 80, 160, 320, 640];

/**
 * Runs a transaction again when DynamoDB cancelled it only because another transaction was using one of its
 * items at the same moment (`TransactionConflict`): concurrent deliveries share the hourly counters and a
 * ticket's item. Conditions that failed are answers, not conflicts, and are returned to the caller at once.
 */
export class PersistentConflictError extends Error {
  override readonly name = 'PersistentConflictError';
}

export async function retryOnConflict<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await transaction();
    } catch (error) {
      const reasons = cancellationReasons(error);
      const conflictOnly = reasons !== undefined && reasons.some((reason) => reason.Code === 'TransactionConflict') && !reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
      const delay = CONFLICT_RETRY_DELAYS_MS[attempt];
      if (!conflictOnly) throw error;
      if (delay === undefined) throw new PersistentConflictError('the transaction kept conflicting with others on the same items', { cause: error });
      await sleep(delay / 2 + Math.random() * delay);
    }
  }
}

/** BatchGetItem reads at most 100 keys per request. */
export const BATCH_GET_LIMIT = 100;
/** Keys DynamoDB leaves unprocessed are asked for again this many times, with growing pauses, then the read fails. */
const UNPROCESSED_KEY_RETRY_DELAYS_MS = [50, 200, 800, 2_000];

/**
 * Every item found under `keys` (in no particular order; missing keys are simply absent): one BatchGetItem per
 * 100 keys, the requests in parallel, unprocessed keys retried a bounded number of times.
 */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: { consistent?: boolean; projection?: string; names?: Record<string, string> } = {},
): Promise<Record<string, unknown>[]> {
  const chunks: Record<string, unknown>[][] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) chunks.push(keys.slice(start, start + BATCH_GET_LIMIT));
  const found = await Promise.all(
    chunks.map(async (chunk) => {
      const items: Record<string, unknown>[] = [];
      let pending: Record<string, unknown>[] | undefined = chunk;
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > UNPROCESSED_KEY_RETRY_DELAYS_MS.length) throw new Error('DynamoDB left keys unprocessed after retries');
        if (attempt > 0) await sleep(UNPROCESSED_KEY_RETRY_DELAYS_MS[attempt - 1] ?? 2_000);
        const result: BatchGetCommandOutput = await client.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}), ...(options.projection ? { ProjectionExpression: options.projection } : {}), ...(options.names ? { ExpressionAttributeNames: options.names } : {}) } },
          }),
        );
        items.push(...(result.Responses?.[tableName] ?? []));
        pending = result.UnprocessedKeys?.[tableName]?.Keys;
      }
      return items;
    }),
  );
  return found.flat();
}
