/**
 * Everything a person's mail needs to know before it is threaded and routed, in one batch read: which tickets
 * its Message-IDs belong to, who the sender is in the roster (a customer record, or an alias of one), and the
 * roster's directory. Routing and the staff check then cost no request of their own.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AddressLookup } from '../../ports/roster-store';
import type { DeliveryLookup, IndexedMessageId } from '../../ports/ticket-store';
import { batchGetItems } from './items';
import { CUSTOMER_PROFILE_SK, customerKey, messageIdIndexKey, rosterDirectoryKey, suppressionKey } from './keys';
import { suppressionOf } from './suppressions';
import type { Suppression } from '../../suppression/model';
import { indexedMessageIdOf } from './messages';
import { customerOf, staffFromDirectory } from './roster';

export async function lookupDelivery(client: DynamoDBDocumentClient, tableName: string, messageIdKeys: readonly string[], sender: string): Promise<DeliveryLookup> {
  const unique = [...new Set(messageIdKeys)];
  const byPk = new Map(unique.map((key) => [messageIdIndexKey(key).pk, key]));
  // One item per address: the customer's record, or an alias pointing at it (`aliasOf`).
  const profile = customerKey(sender);
  const directory = rosterDirectoryKey();
  // The sender's suppression rides along: the acknowledgement then needs no read of its own to check it.
  const suppression = suppressionKey(sender);
  const keys: Record<string, unknown>[] = [directory, ...(sender ? [profile, suppression] : []), ...unique.map(messageIdIndexKey)];

  const messageIds = new Map<string, IndexedMessageId>();
  let senderRecord: AddressLookup | undefined;
  let directoryItem: Record<string, unknown> | undefined;
  let senderSuppression: Suppression | undefined;
  for (const item of await batchGetItems(client, tableName, keys)) {
    const pk = String(item.pk);
    const sk = String(item.sk);
    if (pk === directory.pk && sk === directory.sk) directoryItem = item;
    else if (pk === suppression.pk && sk === suppression.sk) senderSuppression = suppressionOf(item);
    else if (pk === profile.pk && sk === CUSTOMER_PROFILE_SK) {
      senderRecord = typeof item.aliasOf === 'string' ? { kind: 'alias', customerEmail: item.aliasOf } : { kind: 'customer', customer: customerOf(item) };
    } else {
      const key = byPk.get(pk);
      if (key) messageIds.set(key, indexedMessageIdOf(item));
    }
  }
  return {
    messageIds,
    ...(senderRecord ? { sender: senderRecord } : {}),
    staff: staffFromDirectory(directoryItem),
    ...(sender ? { suppressionOf: { address: sender, ...(senderSuppression ? { suppression: senderSuppression } : {}) } } : {}),
  };
}
