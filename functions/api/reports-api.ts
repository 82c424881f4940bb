/**
 * `GET /reports/sla?from=&to=`: the SLA report of the tickets opened in [from, to).
 * 1. Read the range (default: the 30 days up to now); `from` before `to`, at most MAX_REPORT_DAYS apart.
 * 2. List the tickets opened in it, at most MAX_REPORT_TICKETS; more is a 400 saying how to narrow it.
 * 3. Build the report as the tickets stand now.
 */
import * as z from '../commons/validation';
import type { TicketStore } from '../ports/ticket-store';
import type { SlaPolicy } from '../sla/policy';
import { buildSlaReport, DEFAULT_REPORT_DAYS, MAX_REPORT_DAYS, MAX_REPORT_TICKETS, type SlaReport } from '../sla/report';
import { BadRequestError } from './errors';
import { parseOrBadRequest } from './tickets-api';

const DAY_MS = 86_400_000;

/** `2026-11-01` (midnight UTC), or a date-time with its offset: `2026-11-01T08:00Z`, `2026-11-01T16:00:00.5+08:00`. */
const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function parseInstant(text: string): Date | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const day = match[1] ?? '';
  // Date.parse rolls 2026-02-30 over into March: the calendar date must be one that exists.
  if (new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) return undefined;
  const instant = new Date(text.length === day.length ? `${day}T00:00:00Z` : text);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

const instant = z.pipe(
  z.string(),
  z.transform((text: string, ctx) => {
    const parsed = /^\d{4}-/.test(text) ? parseInstant(text) : undefined;
    if (parsed) return parsed;
    ctx.issues.push({ code: 'custom', message: `expected an ISO-8601 date (2026-11-01) or a date-time with its offset (2026-11-01T08:00:00Z), got ${JSON.stringify(text)}`, input: text });
    return z.NEVER;
  }),
);

export const slaReportQuerySchema = z.object({ from: z.optional(instant), to: z.optional(instant) });

export interface SlaReportContext {
  slaPolicy: SlaPolicy;
  now?: () => Date;
  /** The most tickets one report reads (MAX_REPORT_TICKETS unless a test says otherwise). */
  maxTickets?: number;
}

export async function slaReport(store: Pick<TicketStore, 'listTicketsOpenedBetween'>, query: unknown, context: SlaReportContext): Promise<SlaReport> {
  const range = parseOrBadRequest(slaReportQuerySchema, query);
  const now = (context.now ?? (() => new Date()))();
  const to = range.to ?? now;
  const from = range.from ?? new Date(to.getTime() - DEFAULT_REPORT_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new BadRequestError(`from: must be before to (from ${from.toISOString()}, to ${to.toISOString()})`);
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) throw new BadRequestError(`from, to: a report covers at most ${MAX_REPORT_DAYS} days; ask for a shorter range`);
  const limit = context.maxTickets ?? MAX_REPORT_TICKETS;
  const listed = await store.listTicketsOpenedBetween(from, to, limit);
  if (listed.status === 'too-many') {
    throw new BadRequestError(`from, to: more than ${limit} tickets were opened from ${from.toISOString()} to ${to.toISOString()}; narrow the range with from and to (a week or a month at a time)`);
  }
  return buildSlaReport(listed.tickets, { from, to, now, policy: context.slaPolicy });
}
