/**
 * Opaque paging cursors: base64url JSON naming the listing and the last item returned. A cursor is decoded
 * against a strict schema and checked against the listing it is used with; the store builds DynamoDB's start
 * key from the validated position, so nothing a caller writes reaches DynamoDB as a key.
 */
import * as z from '../commons/validation';
import type { MessagePosition, TicketPosition } from '../ports/ticket-store';
import { TICKET_REF_ALPHABET, TICKET_REF_LENGTH } from '../tickets/references';
import { BadRequestError } from './errors';

/** Far above any cursor this API issues; a longer one is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = 2048;

const isoInstant = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/), z.refine((value) => !Number.isNaN(Date.parse(value))));
const ticketId = z.string().check(z.regex(new RegExp(`^[${TICKET_REF_ALPHABET}]{${TICKET_REF_LENGTH}}$`)));
/** SES message ids, inbound and outbound, and `~ack` for a ticket's acknowledgement. */
const messageKey = z.string().check(z.regex(/^[A-Za-z0-9._~-]{1,200}$/));

const ticketListCursor = z.strictObject({
  v: z.literal(1),
  list: z.literal('tickets'),
  /** The customer filter the listing was made with, so a cursor cannot be carried to another listing. */
  customer: z.optional(z.string().check(z.maxLength(1024))),
  after: z.strictObject({ createdAt: isoInstant, id: ticketId }),
});

const messageListCursor = z.strictObject({
  v: z.literal(1),
  list: z.literal('messages'),
  ticket: ticketId,
  after: z.strictObject({ receivedAt: isoInstant, key: messageKey }),
});

type TicketListCursor = z.infer<typeof ticketListCursor>;
type MessageListCursor = z.infer<typeof messageListCursor>;

function encode(value: TicketListCursor | MessageListCursor): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode<T extends z.ZodMiniType>(schema: T, cursor: string): z.output<T> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new BadRequestError('cursor: not a cursor this API issued');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError('cursor: not a cursor this API issued');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BadRequestError('cursor: not a cursor this API issued');
  return parsed.data;
}

export function ticketListCursorAfter(ticket: TicketPosition, customer: string | undefined): string {
  return encode({ v: 1, list: 'tickets', ...(customer ? { customer } : {}), after: { createdAt: ticket.createdAt, id: ticket.id } });
}

/** The position a ticket-list cursor continues from; 400 when it is malformed or from another listing. */
export function ticketListPosition(cursor: string, customer: string | undefined): TicketPosition {
  const decoded = decode(ticketListCursor, cursor);
  if (decoded.customer !== customer) throw new BadRequestError('cursor: it belongs to another listing');
  return decoded.after;
}

export function messageListCursorAfter(ticket: string, message: MessagePosition): string {
  return encode({ v: 1, list: 'messages', ticket, after: { receivedAt: message.receivedAt, key: message.key } });
}

/** The position a message-list cursor continues from; 400 when it is malformed or from another ticket. */
export function messageListPosition(cursor: string, ticket: string): MessagePosition {
  const decoded = decode(messageListCursor, cursor);
  if (decoded.ticket !== ticket) throw new BadRequestError('cursor: it belongs to another ticket');
  return decoded.after;
}
