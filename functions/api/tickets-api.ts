import { z } from 'zod';
import { InvalidCursorError } from '../adapters/dynamodb/listings';
import type { TicketStore } from '../ports/ticket-store';
import type { Ticket, TicketMessage } from '../tickets/model';
import { isTicketRef } from '../tickets/references';
import { BadRequestError, NotFoundError } from './errors';

export const MAX_LIST_LIMIT = 100;

export const MAX_MESSAGE_PAGE = 50;

export const listTicketsQuerySchema = z.strictObject({
  customer: z.email('customer must be an email address').transform((v) => v.toLowerCase()).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(25),
  cursor: z.string().min(1).max(2_048).optional(),
});

export const showTicketQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_MESSAGE_PAGE).default(25),
  cursor: z.string().min(1).max(2_048).optional(),
});

const ticketIdSchema = z.string().refine((value) => isTicketRef(value), {
  message: 'expected a ticket reference (6 characters, e.g. K7Q3XM)',
});

export function ticketSummary(ticket: Ticket) {
  return {
    id: ticket.id,
    ref: ticket.ref,
    subject: ticket.subject,
    status: ticket.status,
    customer: ticket.customer,
    createdAt: ticket.createdAt,
    updatedAt: ticket.updatedAt,
    flags: ticket.flags,
    priority: ticket.priority,
    tier: ticket.tier,
    language: ticket.language,
    firstResponseDueAt: ticket.firstResponseDueAt,
    ...(ticket.reopenedAt ? { reopenedAt: ticket.reopenedAt } : {}),
  };
}

/** Mail the desk sends is `sent` once recorded so; until then its claim's state (the ticket's `ack`) tells. */
function sendStateOf(message: TicketMessage, ticket: Ticket) {
  if (message.direction !== 'outbound') return undefined;
  if (message.sendState === 'sent') return 'sent';
  return message.purpose === 'acknowledgement' ? ticket.ack.state : message.sendState;
}

function messageView(message: TicketMessage, ticket: Ticket) {
  const sendState = sendStateOf(message, ticket);
  return {
    direction: message.direction,
    ...(message.purpose ? { purpose: message.purpose } : {}),
    ...(sendState ? { sendState } : {}),
    from: message.from,
    to: message.to,
    cc: message.cc,
    messageId: message.messageId,
    ...(message.originalMessageId ? { originalMessageId: message.originalMessageId } : {}),
    subject: message.subject,
    text: message.text,
    ...(message.textTruncated ? { textTruncated: true } : {}),
    classification: message.classification,
    language: message.language,
    attachments: message.attachments,
    ...(message.verdicts ? { verdicts: message.verdicts } : {}),
    receivedAt: message.sentAt ?? message.receivedAt,
  };
}

function withCursorErrors<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof InvalidCursorError) throw new BadRequestError(`cursor: ${error.message}`);
    throw error;
  });
}

export function parseOrBadRequest<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}

export async function listTickets(store: TicketStore, query: unknown) {
  const { customer, limit, cursor } = parseOrBadRequest(listTicketsQuerySchema, query);
  const page = await withCursorErrors(() => (customer ? store.listTicketsByCustomer(customer, limit, cursor) : store.listRecentTickets(limit, cursor)));
  return { tickets: page.items.map(ticketSummary), ...(page.next ? { next: page.next } : {}) };
}

export async function showTicket(store: TicketStore, idOrRef: unknown, query: unknown = {}) {
  const id = parseOrBadRequest(ticketIdSchema, idOrRef).toUpperCase();
  const { limit, cursor } = parseOrBadRequest(showTicketQuerySchema, query);
  const ticket = await store.getTicket(id);
  if (!ticket) throw new NotFoundError(`no ticket ${id}`);
  const page = await withCursorErrors(() => store.listMessages(ticket.id, limit, cursor));
  return {
    ...ticketSummary(ticket),
    parties: ticket.parties,
    ...(ticket.ack.error ? { acknowledgementError: ticket.ack.error } : {}),
    messages: page.items.map((message) => messageView(message, ticket)),
    ...(page.next ? { nextMessages: page.next } : {}),
  };
}
