/**
 * Every key of the single Concierge table, built in one place. Access patterns are listed in
 * docs/data-model.md; nothing else in the code spells a key.
 */
import { createHash } from 'node:crypto';

/**
 * Mail headers are unbounded, and DynamoDB refuses a partition key over 2,048 bytes (1,024 for a sort key).
 * Values that can come from a message (Message-IDs, addresses) are written as they are up to this size and as
 * a digest beyond it, so a 3 KB Message-ID or a 2,500-character local part is keyed like any other.
 */
export const MAX_PLAIN_KEY_PART_BYTES = 200;
const DIGEST_PREFIX = '~sha256:';

/** `value` itself when short, else a digest that no plain value can equal (plain values never start with `~sha256:`). */
export function keyPart(value: string): string {
  if (Buffer.byteLength(value, 'utf8') <= MAX_PLAIN_KEY_PART_BYTES && !value.startsWith(DIGEST_PREFIX)) return value;
  return `${DIGEST_PREFIX}${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}

export const TICKET_SK = '#TICKET';

/** Tickets are keyed by their reference, which is unique by this key's condition. */
export const ticketKey = (ticketId: string) => ({ pk: `TICKET#${ticketId.toUpperCase()}`, sk: TICKET_SK });

export const customerPartition = (customer: string) => `CUSTOMER#${keyPart(customer.toLowerCase())}`;

/** Customer's tickets, newest first (GSI1). */
export const customerIndexKey = (customer: string, createdAt: string, ticketId: string) => ({
  gsi1pk: customerPartition(customer),
  gsi1sk: `${createdAt}#${ticketId}`,
});

/**
 * All tickets by creation month, newest first (GSI2). Monthly partitions keep a listing a Query, not a Scan,
 * and spread writes over time.
 */
export const ticketMonthPartition = (isoTime: string) => `TICKETS#${isoTime.slice(0, 7)}`;
export const recentIndexKey = (createdAt: string, ticketId: string) => ({
  gsi2pk: ticketMonthPartition(createdAt),
  gsi2sk: `${createdAt}#${ticketId}`,
});

/** Quarantined mail by month (GSI2), for review and replay. */
export const quarantineMonthPartition = (isoTime: string) => `QUARANTINE#${isoTime.slice(0, 7)}`;

export const MESSAGE_SK_PREFIX = 'MSG#';
export const messageKey = (ticketId: string, receivedAt: string, key: string) => ({
  pk: `TICKET#${ticketId.toUpperCase()}`,
  sk: `${MESSAGE_SK_PREFIX}${receivedAt}#${keyPart(key)}`,
});

/** Message-ID (as normalised by messageIdKey) → ticket. */
export const messageIdIndexKey = (normalisedId: string) => ({ pk: `MSGID#${keyPart(normalisedId)}`, sk: '#MSGID' });

/** SES message id → what became of a delivery that made no ticket message (quarantined, discarded, duplicate). */
export const inboundKey = (sesMessageId: string) => ({ pk: `INBOUND#${keyPart(sesMessageId)}`, sk: '#INBOUND' });

/** Acknowledgements sent in one clock hour (`yyyy-mm-ddThh`), to one address or by the whole desk. */
export const senderAckCountKey = (sender: string, hour: string) => ({ pk: `ACKRATE#${keyPart(sender.toLowerCase())}#${hour}`, sk: '#ACKRATE' });
export const deskAckCountKey = (hour: string) => ({ pk: `ACKRATE#*desk*#${hour}`, sk: '#ACKRATE' });

/** Every staff member in one partition, so the whole roster is one Query. */
export const STAFF_PARTITION = 'STAFF';
export const staffKey = (staffId: string) => ({ pk: STAFF_PARTITION, sk: staffId });

/** One item per staff address: written with the staff record, its condition keeps addresses unique. */
export const staffEmailKey = (email: string) => ({ pk: `STAFFEMAIL#${keyPart(email.toLowerCase())}`, sk: '#STAFFEMAIL' });

export const CUSTOMER_PROFILE_SK = '#PROFILE';
export const MANAGER_CHANGE_SK_PREFIX = 'MANAGER#';

/**
 * The item of an address: a customer's record, or for another address of a customer a pointer to that record
 * (`aliasOf`). One item per address, so one condition (`attribute_not_exists`) keeps an address from
 * belonging to two clients, or being both a client and another client's alias.
 */
export const customerKey = (address: string) => ({ pk: customerPartition(address), sk: CUSTOMER_PROFILE_SK });

/** One change of a customer's manager; `n` tells apart changes made in the same millisecond. */
export const managerChangeKey = (email: string, at: string, n: string) => ({ pk: customerPartition(email), sk: `${MANAGER_CHANGE_SK_PREFIX}${at}#${n}` });
