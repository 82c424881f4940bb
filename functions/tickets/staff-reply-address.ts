/**
 * The Reply-To of a staff notification: `support+<ref>.<staffId>.<signature>@domain`. The signature is an HMAC
 * under the desk's reply secret over the ticket id and the staff id, in a domain of its own (`staff-reply:`),
 * so it cannot be derived from a customer's reply address (references.ts) or from another ticket's or another
 * staff member's. Lower case throughout: mail systems may fold the local part's case, and base32 survives it.
 *
 * It does not expire. The address only names which ticket and which person a reply is for; what makes a reply
 * acceptable is that its From is that staff member's address with aligned authentication, and whatever the
 * use case checks of the ticket and the roster at that moment (a removed or changed staff address fails the
 * From check for good). An expiry would add no protection on top of that, and would turn away a manager
 * answering a week-old notification on a ticket the customer has just reopened.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TICKET_REF_ALPHABET, TICKET_REF_LENGTH } from './references';

/** 20 base32 characters: 100 bits of the HMAC, far past guessing by mail. */
export const STAFF_REPLY_SIGNATURE_LENGTH = 20;
/**
 * Staff ids as they may appear in the address: lower-case letters, digits and hyphens (`st-…`), at most this
 * long, which keeps the local part within the 64 characters RFC 5321 allows.
 */
export const MAX_STAFF_ID_IN_ADDRESS = 24;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** White space tolerated around a recipient before it is too long to be a reply address at all. */
const MAX_SURROUNDING_SPACE = 16;
const STAFF_ID = /^[a-z0-9][a-z0-9-]*$/;

/** The address a staff member's reply to a notification about `ticket` goes to. */
export function staffReplyAddressFor(
  supportAddress: string,
  ticket: { id: string; ref: string },
  staffId: string,
  secret: string,
): string {
  if (!isStaffIdForAddress(staffId)) {
    throw new Error(`staff id cannot appear in a reply address: ${JSON.stringify(staffId.slice(0, 40))}`);
  }
  const [local, domain] = splitAddress(supportAddress);
  return `${local}+${ticket.ref.toLowerCase()}.${staffId}.${signatureFor(ticket.id, staffId, secret)}@${domain}`;
}

export interface StaffReplyToken {
  /** Upper case, like every ticket reference. */
  ref: string;
  staffId: string;
  signature: string;
}

/**
 * Reads the first `support+<ref>.<staffId>.<sig>@domain` among `recipients`, unverified. Addresses are short
 * and of bounded length, so a recipient of any other length is passed over unread: the work is linear in the
 * number of recipients and bounded per recipient, whatever they hold.
 */
export function staffReplyTokenIn(recipients: readonly string[], supportAddress: string): StaffReplyToken | undefined {
  const [local, domain] = splitAddress(supportAddress);
  const fixed = local.length + 1 + TICKET_REF_LENGTH + 1 + 1 + STAFF_REPLY_SIGNATURE_LENGTH + 1 + domain.length;
  const prefix = `${local}+`;
  const suffix = `@${domain}`;
  for (const recipient of recipients) {
    if (recipient.length > fixed + MAX_STAFF_ID_IN_ADDRESS + MAX_SURROUNDING_SPACE) continue;
    const address = recipient.trim().toLowerCase();
    if (address.length < fixed + 1 || address.length > fixed + MAX_STAFF_ID_IN_ADDRESS) continue;
    if (!address.startsWith(prefix) || !address.endsWith(suffix)) continue;
    const parts = address.slice(prefix.length, address.length - suffix.length).split('.');
    if (parts.length !== 3) continue;
    const [ref, staffId, signature] = parts as [string, string, string];
    if (ref.length !== TICKET_REF_LENGTH || ![...ref.toUpperCase()].every((c) => TICKET_REF_ALPHABET.includes(c))) continue;
    if (!isStaffIdForAddress(staffId)) continue;
    if (signature.length !== STAFF_REPLY_SIGNATURE_LENGTH || ![...signature].every((c) => BASE32.includes(c))) continue;
    return { ref: ref.toUpperCase(), staffId, signature };
  }
  return undefined;
}

/** Whether `signature` binds the ticket (its id) and the staff member; constant-time. */
export function isValidStaffReplySignature(ticketId: string, staffId: string, signature: string, secret: string): boolean {
  const expected = Buffer.from(signatureFor(ticketId, staffId.toLowerCase(), secret));
  const given = Buffer.from(signature.toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The ticket and staff member of the first recipient that is a validly signed staff reply address. A ticket's
 * id is its reference, so no lookup is needed to verify; the caller still checks that both exist.
 */
export function verifiedStaffReplyTarget(
  recipients: readonly string[],
  supportAddress: string,
  secret: string,
): { ticketId: string; staffId: string } | undefined {
  for (const recipient of recipients) {
    const token = staffReplyTokenIn([recipient], supportAddress);
    if (token && isValidStaffReplySignature(token.ref, token.staffId, token.signature, secret)) {
      return { ticketId: token.ref, staffId: token.staffId };
    }
  }
  return undefined;
}

export function isStaffIdForAddress(staffId: string): boolean {
  return staffId.length <= MAX_STAFF_ID_IN_ADDRESS && STAFF_ID.test(staffId);
}

function signatureFor(ticketId: string, staffId: string, secret: string): string {
  const digest = createHmac('sha256', secret).update(`staff-reply:${ticketId.toUpperCase()}:${staffId}`).digest();
  return base32(digest).slice(0, STAFF_REPLY_SIGNATURE_LENGTH);
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return [address.slice(0, at).toLowerCase(), address.slice(at + 1).toLowerCase()];
}
