/**
 * The suppression list over the API: list the active suppressions, show one address's record (with its lifts),
 * lift one with a reason. Lifting is recorded on the address's record and never deletes it.
 */
import * as z from '../commons/validation';
import type { SuppressionPosition, SuppressionStore } from '../ports/suppression-store';
import type { Suppression } from '../suppression/model';
import { BadRequestError, NotFoundError } from './errors';
import { parseOrBadRequest } from './tickets-api';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const MAX_CURSOR_LENGTH = 2048;
/** Who lifted a suppression when the request does not say. */
const API_ACTOR = 'api';

const emailParameter = z.pipe(z.email('expected an email address'), z.transform((value: string) => value.toLowerCase()));

const listQuerySchema = z.object({
  limit: z.pipe(
    z.optional(z.string().check(z.regex(/^\d{1,4}$/, `expected a whole number from 1 to ${MAX_LIMIT}`))),
    z.pipe(
      z.transform((value: string | undefined) => (value === undefined ? DEFAULT_LIMIT : Number(value))),
      z.number().check(z.int(), z.gte(1, `expected a whole number from 1 to ${MAX_LIMIT}`), z.lte(MAX_LIMIT, `expected a whole number from 1 to ${MAX_LIMIT}`)),
    ),
  ),
  cursor: z.optional(z.string()),
});

const liftBodySchema = z.strictObject({
  reason: z.string().check(z.trim(), z.minLength(1, 'say why the address may be mailed again'), z.maxLength(500)),
  by: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
});

const suppressionCursor = z.strictObject({
  v: z.literal(1),
  list: z.literal('suppressions'),
  after: z.strictObject({
    suppressedAt: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/)),
    email: z.string().check(z.minLength(3), z.maxLength(1024)),
  }),
});

function cursorAfter(position: SuppressionPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, list: 'suppressions', after: position }), 'utf8').toString('base64url');
}

function positionOf(cursor: string): SuppressionPosition {
  const refused = () => new BadRequestError('cursor: not a cursor this API issued');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refused();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  const parsed = suppressionCursor.safeParse(json);
  if (!parsed.success) throw refused();
  return parsed.data.after;
}

/**
 * The address from the path. API Gateway hands path parameters over as they were sent (`a%40b.example`),
 * the local server decoded; a value still percent-encoded is decoded once here.
 */
function addressOf(raw: unknown): string {
  let value = typeof raw === 'string' ? raw : '';
  if (/%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new BadRequestError('email: not valid percent-encoding');
    }
  }
  return parseOrBadRequest(emailParameter, value);
}

/** What the API shows of a record; the cause keys stay inside. */
function view(suppression: Suppression) {
  const { cause: _cause, ...shown } = suppression;
  return shown;
}

/** `GET /suppressions`: active suppressions, newest first, a page at a time. */
export async function listSuppressions(store: SuppressionStore, query: unknown) {
  const { limit, cursor } = parseOrBadRequest(listQuerySchema, query);
  const page = await store.listSuppressions(limit, cursor === undefined ? undefined : positionOf(cursor));
  const last = page.items.at(-1);
  return { suppressions: page.items.map(view), ...(page.more && last ? { next: cursorAfter({ suppressedAt: last.suppressedAt, email: last.email }) } : {}) };
}

/** `GET /suppressions/{email}`: the address's record, active or lifted, with its lifts; 404 when it was never suppressed. */
export async function showSuppression(store: SuppressionStore, email: unknown) {
  const address = addressOf(email);
  const suppression = await store.getSuppression(address);
  if (!suppression) throw new NotFoundError(`${address} is not on the suppression list`);
  return view(suppression);
}

/**
 * Who a lift is recorded as lifted by. The body's `by` is whatever the caller writes; on AWS the request is
 * IAM-signed, and the identity API Gateway verified is recorded beside it, so the record cannot be made to name
 * someone else alone.
 */
export function liftedBy(stated: string | undefined, verifiedCaller: string | undefined): string {
  if (!verifiedCaller) return stated ?? API_ACTOR;
  return stated && stated !== verifiedCaller ? `${stated} (signed by ${verifiedCaller})` : verifiedCaller;
}

/** `DELETE /suppressions/{email}` with `{ reason, by? }`: lifts it, keeping the lift on record; 404 when not suppressed. */
export async function liftSuppression(store: SuppressionStore, email: unknown, body: unknown, verifiedCaller?: string, now: () => Date = () => new Date()) {
  const address = addressOf(email);
  const { reason, by } = parseOrBadRequest(liftBodySchema, body);
  const lifted = await store.lift(address, { reason, by: liftedBy(by, verifiedCaller), at: now().toISOString() });
  if (!lifted) throw new NotFoundError(`${address} is not suppressed`);
  return view(lifted);
}
