/**
 * Every key of the single Concierge table, built in one place. Access patterns are listed in
 * docs/data-model.md; nothing else in the code spells a key.
 */

export const TICKET_SK = '#TICKET';

export const ticketKey = (ticketId: string) => ({ pk: `TICKET#${ticketId}`, sk: TICKET_SK });

/** Customer's tickets, newest first (GSI1). */
export const customerIndexKey = (customer: string, createdAt: string, ticketId: string) => ({
  gsi1pk: `CUSTOMER#${customer.toLowerCase()}`,
  gsi1sk: `${createdAt}#${ticketId}`,
});
export const customerPartition = (customer: string) => `CUSTOMER#${customer.toLowerCase()}`;

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

export const refKey = (ref: string) => ({ pk: `REF#${ref.toUpperCase()}`, sk: '#REF' });

export const MESSAGE_SK_PREFIX = 'MSG#';
export const messageKey = (ticketId: string, receivedAt: string, key: string) => ({
  pk: `TICKET#${ticketId}`,
  sk: `${MESSAGE_SK_PREFIX}${receivedAt}#${key}`,
});

/** Message-ID (as normalised by messageIdKey) → ticket. */
export const messageIdIndexKey = (normalisedId: string) => ({ pk: `MSGID#${normalisedId}`, sk: '#MSGID' });

/** SES message id → what became of that delivery. */
export const inboundKey = (sesMessageId: string) => ({ pk: `INBOUND#${sesMessageId}`, sk: '#INBOUND' });

/** Sender + Message-ID: the same mail re-delivered under another SES id. */
export const originKey = (sender: string, normalisedId: string) => ({
  pk: `ORIGIN#${sender.toLowerCase()}#${normalisedId}`,
  sk: '#ORIGIN',
});

/** Acknowledgements recently sent to one address. */
export const ackRateKey = (sender: string) => ({ pk: `ACKRATE#${sender.toLowerCase()}`, sk: '#ACKRATE' });
