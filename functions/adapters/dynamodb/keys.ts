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

/** Acknowledgements counted in one clock hour (`yyyy-mm-ddThh`): the desk's total and each sender's count. */
export const ackCountKey = (hour: string) => ({ pk: `ACKRATE#${hour}`, sk: '#ACKRATE' });

/**
 * The attribute of the hour's count item that holds one sender's count: 10 base64url characters (60 bits) of
 * a SHA-256 of the address. Short, because the item holds one per sender and is billed per KB; long enough
 * that two senders share a count by chance about once in 10^13 hours, and on purpose only by a second
 * preimage (some 2^60 hashes) that buys nothing but a stricter cap for both. Never `total`, `expiresAt`,
 * `pk` or `sk` (the lengths differ).
 */
export const SENDER_COUNT_ATTRIBUTE_CHARS = 10;
export const senderCountAttribute = (sender: string) => createHash('sha256').update(sender.toLowerCase(), 'utf8').digest('base64url').slice(0, SENDER_COUNT_ATTRIBUTE_CHARS);

/** A staff member's tickets, newest first (GSI3); a ticket leaves it when unassigned. */
export const assigneeIndexKey = (staffId: string, createdAt: string, ticketId: string) => ({
  gsi3pk: `ASSIGNEE#${staffId}`,
  gsi3sk: `${createdAt}#${ticketId}`,
});

/**
 * When the SLA scan must look at a ticket next (GSI4): one partition, sorted by time, so the scan's query
 * reads only the entries due. A ticket leaves it when nothing is left to watch. One partition takes about a
 * thousand writes a second, far beyond the SLA changes of a support desk.
 */
export const SLA_DUE_PARTITION = 'SLADUE';
export const slaDueIndexKey = (checkAt: string, ticketId: string) => ({ gsi4pk: SLA_DUE_PARTITION, gsi4sk: `${checkAt}#${ticketId}` });

/** Which SLA policy the due index was last computed for, and how far a re-index under a new one has got. */
export const slaPolicyMarkKey = () => ({ pk: 'SLAPOLICY', sk: '#CURRENT' });

export const EVENT_SK_PREFIX = 'EVENT#';
/** A ticket's events, in time order, beside its messages. */
export const eventKey = (ticketId: string, at: string, key: string) => ({
  pk: `TICKET#${ticketId.toUpperCase()}`,
  sk: `${EVENT_SK_PREFIX}${at}#${keyPart(key)}`,
});

/** Every staff member in one partition, so the whole roster is one Query. */
export const STAFF_PARTITION = 'STAFF';
export const staffKey = (staffId: string) => ({ pk: STAFF_PARTITION, sk: staffId });

/**
 * The roster's directory: one item with every staff member's record (without their load counters), kept in
 * the same write as each staff change, so that inbound mail learns the whole roster from the batch read it
 * makes anyway instead of a Query of its own.
 */
export const rosterDirectoryKey = () => ({ pk: 'ROSTER', sk: '#DIRECTORY' });

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

/** One item per address on the suppression list (lower-cased), active or lifted. */
export const suppressionKey = (email: string) => ({ pk: `SUPPRESSION#${keyPart(email.trim().toLowerCase())}`, sk: '#SUPPRESSION' });

/**
 * Active suppressions, newest first (GSI2, like quarantined mail): one partition, written only when an address
 * bounces or complains, so it never runs hot; a lift removes the entry (a sparse index).
 */
export const SUPPRESSED_PARTITION = 'SUPPRESSED';
export const suppressedIndexKey = (suppressedAt: string, email: string) => ({ gsi2pk: SUPPRESSED_PARTITION, gsi2sk: `${suppressedAt}#${keyPart(email.trim().toLowerCase())}` });
