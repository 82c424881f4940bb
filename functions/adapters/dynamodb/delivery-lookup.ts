/**
 * Everything a person's mail needs to know before it is threaded and routed, in one batch read: which tickets
 * its Message-IDs belong to, who the sender is in the roster (a customer record, or an alias of one), and the
 * roster's directory. Routing and the staff check then cost no request of their own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AddressLookup } from '../../ports/roster-store';
import type { DeliveryLookup, IndexedMessageId } from '../../ports/ticket-store';
import { CUSTOMER_PROFILE_SK, customerKey, messageIdIndexKey, rosterDirectoryKey } from './keys';
import { indexedMessageIdOf } from './messages';
import { customerOf, staffFromDirectory } from './roster';

const BATCH_GET_LIMIT = 100;
const UNPROCESSED_RETRY_DELAYS_MS = [50, 200, 800, 2_000];

export async function lookupDelivery(client: DynamoDBDocumentClient, tableName: string, messageIdKeys: readonly string[], sender: string): Promise<DeliveryLookup> {
  const unique = [...new Set(messageIdKeys)];
  const byPk = new Map(unique.map((key) => [messageIdIndexKey(key).pk, key]));
  // One item per address: the customer's record, or an alias pointing at it (`aliasOf`).
  const profile = customerKey(sender);
  const directory = rosterDirectoryKey();
  const keys: Record<string, unknown>[] = [directory, ...(sender ? [profile] : []), ...unique.map(messageIdIndexKey)];

  const messageIds = new Map<string, IndexedMessageId>();
  let senderRecord: AddressLookup | undefined;
  let directoryItem: Record<string, unknown> | undefined;
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + BATCH_GET_LIMIT);
    for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRY_DELAYS_MS.length) throw new Error('DynamoDB left keys unprocessed after retries');
      if (attempt > 0) await sleep(UNPROCESSED_RETRY_DELAYS_MS[attempt - 1] ?? 2_000);
      const result: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }));
      for (const item of result.Responses?.[tableName] ?? []) {
        const pk = String(item.pk);
        const sk = String(item.sk);
        if (pk === directory.pk && sk === directory.sk) directoryItem = item;
        else if (pk === profile.pk && sk === CUSTOMER_PROFILE_SK) {
          senderRecord = typeof item.aliasOf === 'string' ? { kind: 'alias', customerEmail: item.aliasOf } : { kind: 'customer', customer: customerOf(item) };
        }
        else {
          const key = byPk.get(pk);
          if (!key) continue;
          messageIds.set(key, indexedMessageIdOf(item));
        }
      }
      pending = result.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return { messageIds, ...(senderRecord ? { sender: senderRecord } : {}), staff: staffFromDirectory(directoryItem) };
}
