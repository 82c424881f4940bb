import { randomUUID } from 'node:crypto';
import * as z from '../commons/validation';
import type { Page, TicketStore } from '../ports/ticket-store';
import type { Ticket, TicketMessage } from '../tickets/model';
import { CATEGORIES } from '../sla/categorize';
import { SLA_PRIORITIES, type SlaPolicy } from '../sla/policy';
import { ticketSlaView } from '../tickets/sla-state';
import { isTicketRef } from '../tickets/references';
import { messageListCursorAfter, messageListPosition, ticketListCursorAfter, ticketListPosition } from './cursor';
import { STAFF_ID } from '../roster/validation';
import { rejectStaffReply, relayStaffReply, MAX_REPLY_TEXT_CHARS, type StaffReplyDependencies, type StaffReplyRejection } from '../tickets/staff-replies';
import { TICKET_STATUSES, TicketChangeError, TicketNotFoundError, updateTicket, type UpdateTicketDependencies } from '../tickets/update-ticket';
import { Answer } from './answer';
import { BadRequestError, NotFoundError } from './errors';

/** What the API reads; the DynamoDB store provides it. */
export type TicketReader = Pick<TicketStore, 'getTicket' | 'listTicketsByCustomer' | 'listRecentTickets' | 'listMessagesPage' | 'listTicketsByAssignee' | 'listEvents'>;

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
  assignee: z.optional(z.string().check(z.regex(STAFF_ID, 'assignee must be a staff id such as st-k3q7xm2a'))),
  limit: pageLimit(MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT),
  cursor: z.optional(z.string()),
});

export const showTicketQuerySchema = z.object({
  limit: pageLimit(MAX_MESSAGE_LIMIT, DEFAULT_MESSAGE_LIMIT),
  cursor: z.optional(z.string()),
});

const ticketIdSchema = z.string().check(z.refine((value) => isTicketRef(value), 'expected a ticket id: its reference, 6 characters such as K7Q3XM'));

/** What the ticket views need besides the ticket: its SLA is shown as it stands now, by the desk's policy. */
export interface TicketViewContext {
  slaPolicy: SlaPolicy;
  now?: () => Date;
}

export function ticketSummary(ticket: Ticket, context: TicketViewContext) {
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
    category: ticket.category ?? 'other',
    sla: ticketSlaView(ticket, (context.now ?? (() => new Date()))(), context.slaPolicy),
    tier: ticket.tier,
    language: ticket.language,
    firstResponseDueAt: ticket.firstResponseDueAt,
    ...(ticket.firstRespondedAt ? { firstRespondedAt: ticket.firstRespondedAt } : {}),
    ...(ticket.assignee ? { assignee: ticket.assignee, assignedAt: ticket.assignedAt } : {}),
    ...(ticket.reopenedAt ? { reopenedAt: ticket.reopenedAt } : {}),
  };
}

/** Outbound mail is listed once SES has accepted it, with the Message-ID SES gave it and our own beside it. */
function messageView(message: TicketMessage) {
  return {
    direction: message.direction,
    ...(message.purpose ? { purpose: message.purpose } : {}),
    ...(message.staffId ? { staffId: message.staffId } : {}),
    ...(message.sendState ? { sendState: message.sendState } : {}),
    ...(message.sendError ? { sendError: message.sendError } : {}),
    from: message.from,
    to: message.to,
    cc: message.cc ?? [],
    messageId: message.messageId,
    ...(message.originalMessageId ? { originalMessageId: message.originalMessageId } : {}),
    subject: message.subject,
    text: message.text,
    ...(message.textTruncated ? { textTruncated: true } : {}),
    ...(message.redacted ? { redacted: message.redacted } : {}),
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

export async function listTickets(store: TicketReader, query: unknown, context: TicketViewContext) {
  const { customer, assignee, limit, cursor } = parseOrBadRequest(listTicketsQuerySchema, query);
  if (customer && assignee) throw new BadRequestError('give customer or assignee, not both');
  // A cursor is bound to the listing it came from: the customer's, the assignee's (`@<staff id>`), or all.
  const scope = customer ?? (assignee ? `@${assignee}` : undefined);
  const after = cursor === undefined ? undefined : ticketListPosition(cursor, scope);
  const page = customer
    ? await store.listTicketsByCustomer(customer, limit, after)
    : assignee
      ? await store.listTicketsByAssignee(assignee, limit, after)
      : await store.listRecentTickets(limit, after ? { after } : {});
  const { items, views, more } = fitToBudget(page, (ticket) => ticketSummary(ticket, context));
  const last = items.at(-1);
  return { tickets: views, ...(more && last ? { next: ticketListCursorAfter(last, scope) } : {}) };
}

export async function showTicket(store: TicketReader, idOrRef: unknown, query: unknown, context: TicketViewContext) {
  const id = parseOrBadRequest(ticketIdSchema, idOrRef);
  const { limit, cursor } = parseOrBadRequest(showTicketQuerySchema, query);
  const ticket = await store.getTicket(id.toUpperCase());
  if (!ticket) throw new NotFoundError(`no ticket ${id}`);
  const after = cursor === undefined ? undefined : messageListPosition(cursor, ticket.id);
  const [page, events] = await Promise.all([store.listMessagesPage(ticket.id, limit, after), store.listEvents(ticket.id)]);
  const { items, views, more } = fitToBudget(page, messageView);
  const last = items.at(-1);
  return {
    ...ticketSummary(ticket, context),
    parties: ticket.parties,
    ...(ticket.ack.error ? { acknowledgementError: ticket.ack.error } : {}),
    events: events.map(({ at, type, actor, detail }) => ({ at, type, actor, detail })),
    messages: views,
    ...(more && last ? { next: messageListCursorAfter(ticket.id, last) } : {}),
  };
}

const ticketPatchSchema = z
  .strictObject({
    status: z.optional(z.enum(TICKET_STATUSES)),
    assignee: z.optional(z.nullable(z.string().check(z.regex(STAFF_ID, 'expected a staff id such as st-k3q7xm2a, or null to unassign')))),
    priority: z.optional(z.enum(SLA_PRIORITIES)),
    category: z.optional(z.enum(CATEGORIES)),
  })
  .check(
    z.refine(
      (patch) => patch.status !== undefined || patch.assignee !== undefined || patch.priority !== undefined || patch.category !== undefined,
      'give status, assignee, priority and/or category',
    ),
  );

/** `PATCH /tickets/{id}`: status, assignee, priority and/or category; the ticket as it now is. */
export async function patchTicket(deps: UpdateTicketDependencies & { store: TicketReader & UpdateTicketDependencies['store'] }, idOrRef: unknown, body: unknown, actor = 'api') {
  const id = parseOrBadRequest(ticketIdSchema, idOrRef).toUpperCase();
  const patch = parseOrBadRequest(ticketPatchSchema, body);
  try {
    const change = {
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.assignee !== undefined ? { assignee: patch.assignee } : {}),
      ...(patch.priority ? { priority: patch.priority } : {}),
      ...(patch.category ? { category: patch.category } : {}),
    };
    const ticket = await updateTicket(id, change, actor, deps);
    return ticketSummary(ticket, deps);
  } catch (error) {
    if (error instanceof TicketNotFoundError) throw new NotFoundError(error.message);
    if (error instanceof TicketChangeError) throw new BadRequestError(`${error.field}: ${error.message}`);
    throw error;
  }
}

const replyBodySchema = z.strictObject({
  staffId: z.string().check(z.regex(STAFF_ID, 'expected a staff id such as st-k3q7xm2a')),
  text: z.string().check(z.minLength(1, 'the answer is empty'), z.maxLength(MAX_REPLY_TEXT_CHARS, `the answer is longer than ${MAX_REPLY_TEXT_CHARS} characters`)),
});

/** An idempotency key is what a client retries with; this is its shape. */
const IDEMPOTENCY_KEY = /^[\w.:-]{8,128}$/;

/** The status a refused answer gets, and which field of the body it names. */
const REFUSAL_STATUS: Record<StaffReplyRejection, { status: number; field?: string }> = {
  'unknown-ticket': { status: 404 },
  'unknown-staff': { status: 400, field: 'staffId' },
  'empty-reply': { status: 400, field: 'text' },
  'too-long': { status: 400, field: 'text' },
  'not-assignee': { status: 409, field: 'staffId' },
  'ticket-closed': { status: 409 },
  'wrong-sender': { status: 400, field: 'staffId' },
  'invalid-address': { status: 400 },
  'support-address': { status: 400 },
  // The request was understood and cannot be sent as written: the outbound guard stopped it.
  'blocked-request': { status: 422 },
  'unlisted-address': { status: 422 },
  'contains-secret': { status: 422 },
};

/**
 * `POST /tickets/{id}/replies`: the same path as an answer by email. With an `Idempotency-Key` header a
 * retried request sends nothing again (200 with the first outcome); without one, every request is an answer.
 */
export async function replyToTicket(deps: StaffReplyDependencies, idOrRef: unknown, body: unknown, idempotencyKey: string | undefined): Promise<Answer> {
  const id = parseOrBadRequest(ticketIdSchema, idOrRef).toUpperCase();
  const { staffId, text } = parseOrBadRequest(replyBodySchema, body);
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw new BadRequestError('Idempotency-Key: 8 to 128 letters, digits, or . _ : -');
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const cause = `api:${idempotencyKey ?? randomUUID()}`;
  const result = await relayStaffReply({ ticketId: id, staffId, text, cause, at, via: 'api' }, deps);
  switch (result.status) {
    case 'sent':
      return new Answer(201, { ticketId: result.ticketId, status: 'sent', ...(result.messageId ? { messageId: result.messageId } : {}) });
    case 'already-sent':
      return new Answer(200, { ticketId: result.ticketId, status: 'sent', repeated: true });
    case 'in-progress':
      return new Answer(409, { error: 'this answer is being sent by another request; retry later with the same Idempotency-Key' });
    case 'not-delivered':
      // Mail to that address bounced for good or drew a complaint: nothing is sent there until the suppression is lifted.
      if (result.state === 'suppressed') return new Answer(409, { error: `the answer was not sent: the customer's address is on the suppression list (DELETE /suppressions/{email} lifts it)`, reason: 'suppressed', ...(result.error ? { detail: result.error } : {}) });
      return new Answer(502, { error: `the answer was not delivered: ${result.state}`, ...(result.error ? { detail: result.error } : {}) });
    case 'rejected': {
      const refusal = REFUSAL_STATUS[result.reason];
      if (result.reason !== 'unknown-ticket' && result.reason !== 'unknown-staff') {
        const ticket = await deps.store.getTicket(id);
        if (ticket) await rejectStaffReply({ ticket, sender: staffId, reason: result.reason, cause, at, via: 'api' }, deps);
      }
      if (refusal.status === 404) throw new NotFoundError(`no ticket ${id}`);
      const message = refusal.field ? `${refusal.field}: ${result.explanation}` : result.explanation;
      if (refusal.status === 400) throw new BadRequestError(message);
      return new Answer(refusal.status, { error: message, reason: result.reason, ...(result.blocked ? { detail: result.blocked.detail, kinds: result.blocked.kinds } : {}) });
    }
  }
}
