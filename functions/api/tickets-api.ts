import * as z from '../commons/validation';
import type { Page, TicketStore } from '../ports/ticket-store';
import type { Ticket, TicketMessage } from '../tickets/model';
import { isTicketRef } from '../tickets/references';
import { messageListCursorAfter, messageListPosition, ticketListCursorAfter, ticketListPosition } from './cursor';
import { BadRequestError, NotFoundError } from './errors';

/** What the API reads; the DynamoDB store provides it. */
export type TicketReader = Pick<TicketStore, 'getTicket' | 'listTicketsByCustomer' | 'listRecentTickets' | 'listMessagesPage'>;

export const MAX_LIST_LIMIT = 100;
export const DEFAULT_LIST_LIMIT = 25;
export const MAX_MESSAGE_LIMIT = 50;
export const DEFAULT_MESSAGE_LIMIT = 20;

/**
 * The most JSON one page carries. Lambda answers at most 6 MB and API Gateway 10 MB; one message may hold
 * 100 KB of text besides its addresses and attachment names, and one subject is as long as the sender made
 * it. A page ends at whichever comes first, its limit or this budget, and always holds at least one item.
 */
export const PAGE_BUDGET_BYTES = 1024 * 1024;

const pageLimit = (max: number, fallback: number) => {
  const message = `expected a whole number from 1 to ${max}`;
  return z.pipe(
    z.optional(z.string().check(z.regex(/^\d{1,4}$/, message))),
    z.pipe(
      z.transform((value: string | undefined) => (value === undefined ? fallback : Number(value))),
      z.number().check(z.int(), z.gte(1, message), z.lte(max, message)),
    ),
  );
};

export const listTicketsQuerySchema = z.object({
  customer: z.optional(z.pipe(z.email('customer must be an email address'), z.transform((v: string) => v.toLowerCase()))),
  limit: pageLimit(MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT),
  cursor: z.optional(z.string()),
});

export const showTicketQuerySchema = z.object({
  limit: pageLimit(MAX_MESSAGE_LIMIT, DEFAULT_MESSAGE_LIMIT),
  cursor: z.optional(z.string()),
});

const ticketIdSchema = z.string().check(z.refine((value) => isTicketRef(value), 'expected a ticket id: its reference, 6 characters such as K7Q3XM'));

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

/** Outbound mail is listed once SES has accepted it, with the Message-ID SES gave it and our own beside it. */
function messageView(message: TicketMessage) {
  return {
    direction: message.direction,
    ...(message.purpose ? { purpose: message.purpose } : {}),
    ...(message.sendState ? { sendState: message.sendState } : {}),
    from: message.from,
    to: message.to,
    cc: message.cc ?? [],
    messageId: message.messageId,
    ...(message.originalMessageId ? { originalMessageId: message.originalMessageId } : {}),
    subject: message.subject,
    text: message.text,
    ...(message.textTruncated ? { textTruncated: true } : {}),
    classification: message.classification,
    language: message.language,
    attachments: message.attachments ?? [],
    ...(message.verdicts ? { verdicts: message.verdicts } : {}),
    receivedAt: message.sentAt ?? message.receivedAt,
  };
}

export function parseOrBadRequest<T extends z.ZodMiniType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'value'}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}

/**
 * The views of a store page that fit `budget` bytes of JSON (at least one), and whether anything was left
 * out, by the store or by the budget.
 */
export function fitToBudget<T, V>(page: Page<T>, view: (item: T) => V, budget = PAGE_BUDGET_BYTES): { items: T[]; views: V[]; more: boolean } {
  const items: T[] = [];
  const views: V[] = [];
  let used = 0;
  for (const item of page.items) {
    const rendered = view(item);
    used += Buffer.byteLength(JSON.stringify(rendered), 'utf8') + 1;
    if (items.length > 0 && used > budget) return { items, views, more: true };
    items.push(item);
    views.push(rendered);
  }
  return { items, views, more: page.more };
}

export async function listTickets(store: TicketReader, query: unknown) {
  const { customer, limit, cursor } = parseOrBadRequest(listTicketsQuerySchema, query);
  const after = cursor === undefined ? undefined : ticketListPosition(cursor, customer);
  const page = customer ? await store.listTicketsByCustomer(customer, limit, after) : await store.listRecentTickets(limit, after ? { after } : {});
  const { items, views, more } = fitToBudget(page, ticketSummary);
  const last = items.at(-1);
  return { tickets: views, ...(more && last ? { next: ticketListCursorAfter(last, customer) } : {}) };
}

export async function showTicket(store: TicketReader, idOrRef: unknown, query: unknown) {
  const id = parseOrBadRequest(ticketIdSchema, idOrRef);
  const { limit, cursor } = parseOrBadRequest(showTicketQuerySchema, query);
  const ticket = await store.getTicket(id.toUpperCase());
  if (!ticket) throw new NotFoundError(`no ticket ${id}`);
  const after = cursor === undefined ? undefined : messageListPosition(cursor, ticket.id);
  const page = await store.listMessagesPage(ticket.id, limit, after);
  const { items, views, more } = fitToBudget(page, messageView);
  const last = items.at(-1);
  return {
    ...ticketSummary(ticket),
    parties: ticket.parties,
    ...(ticket.ack.error ? { acknowledgementError: ticket.ack.error } : {}),
    messages: views,
    ...(more && last ? { next: messageListCursorAfter(ticket.id, last) } : {}),
  };
}
