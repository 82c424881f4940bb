import { z } from 'zod';
import type { DynamoTicketStore } from '../tickets/dynamodb-ticket-store';
import type { Ticket, TicketMessage } from '../tickets/model';
import { isTicketRef } from '../tickets/references';
import { BadRequestError, NotFoundError } from './errors';

export const MAX_LIST_LIMIT = 100;

export const listTicketsQuerySchema = z.object({
  customer: z.email('customer must be an email address').transform((v) => v.toLowerCase()).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(25),
});

const ticketIdSchema = z.string().refine((value) => z.uuid().safeParse(value).success || isTicketRef(value), {
  message: 'expected a ticket id (UUID) or reference (6 characters, e.g. K7Q3XM)',
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
  };
}

function messageView(message: TicketMessage) {
  return {
    direction: message.direction,
    from: message.from,
    to: message.to,
    cc: message.cc,
    messageId: message.messageId,
    subject: message.subject,
    text: message.text,
    ...(message.textTruncated ? { textTruncated: true } : {}),
    classification: message.classification,
    language: message.language,
    attachments: message.attachments,
    ...(message.verdicts ? { verdicts: message.verdicts } : {}),
    receivedAt: message.receivedAt,
  };
}

export function parseOrBadRequest<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}

export async function listTickets(store: DynamoTicketStore, query: unknown) {
  const { customer, limit } = parseOrBadRequest(listTicketsQuerySchema, query);
  const tickets = customer ? await store.listTicketsByCustomer(customer, limit) : await store.listRecentTickets(limit);
  return { tickets: tickets.map(ticketSummary) };
}

export async function showTicket(store: DynamoTicketStore, idOrRef: unknown) {
  const id = parseOrBadRequest(ticketIdSchema, idOrRef);
  const ticket = isTicketRef(id) ? await store.getTicketByRef(id) : await store.getTicket(id);
  if (!ticket) throw new NotFoundError(`no ticket ${id}`);
  const messages = await store.listMessages(ticket.id);
  return { ...ticketSummary(ticket), parties: ticket.parties, messages: messages.map(messageView) };
}
