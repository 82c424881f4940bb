import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Ticket references are what customers see (`[#K7Q3XM]`). They are drawn at random from an alphabet without
 * look-alike characters (no 0, O, 1 or I), so they are short, non-sequential and not
 * guessable: 32^6 ≈ 1.07 billion values. Knowing one is still not enough to write into a ticket; only the
 * ticket's parties may use it.
 */
export const TICKET_REF_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const TICKET_REF_LENGTH = 6;

/**
 * The reference of a ticket opened by mail of a given origin (sender + Message-ID, or the SES id when the mail
 * has none): an HMAC under the desk's secret, so it is unguessable like a random draw yet the same for every
 * delivery of the same mail, which makes the ticket's own conditional write the duplicate check. `attempt`
 * moves on to the next candidate when a reference is already taken by another ticket. Each character takes
 * five bits of the HMAC, and the alphabet has exactly 32 characters, so every reference is equally likely.
 */
export function ticketRefFor(origin: string, attempt: number, secret: string): string {
  const digest = createHmac('sha256', secret).update(`ticket-ref:${attempt}:${origin}`).digest();
  let ref = '';
  for (let i = 0; i < TICKET_REF_LENGTH; i += 1) {
    const bitOffset = i * 5;
    const byte = bitOffset >> 3;
    const pair = ((digest[byte] ?? 0) << 8) | (digest[byte + 1] ?? 0);
    ref += TICKET_REF_ALPHABET[(pair >> (11 - (bitOffset & 7))) & 31];
  }
  return ref;
}

const REF_CHARS = `[${TICKET_REF_ALPHABET}]{${TICKET_REF_LENGTH}}`;
const SUBJECT_TOKEN = new RegExp(`\\[#(${REF_CHARS})\\]`, 'i');

/**
 * A subject token is looked for in this many leading characters only. Concierge writes the token first in its
 * subjects, and replies put a few `Re:`/`回复：` in front; RFC 5322 allows 998 characters on a line.
 */
export const MAX_SUBJECT_TOKEN_SCAN_CHARS = 998;

/** The ticket reference written as `[#K7Q3XM]` in a subject, upper-cased; undefined when there is none. */
export function subjectTokenOf(subject: string): string | undefined {
  return subject.slice(0, MAX_SUBJECT_TOKEN_SCAN_CHARS).match(SUBJECT_TOKEN)?.[1]?.toUpperCase();
}

export function isTicketRef(value: string): boolean {
  return new RegExp(`^${REF_CHARS}$`).test(value.toUpperCase());
}

const SIGNATURE_LENGTH = 16;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function signatureFor(ticketId: string, secret: string): string {
  return base32(createHmac('sha256', secret).update(`reply-address:${ticketId}`).digest()).slice(0, SIGNATURE_LENGTH);
}

/**
 * The per-ticket reply address `support+<ref>-<signature>@domain`. Lower case throughout because mail systems
 * may fold the local part's case; the signature binds the address to the ticket id so that it cannot be
 * derived from the reference alone.
 */
export function replyAddressFor(supportAddress: string, ticket: { id: string; ref: string }, secret: string): string {
  const [local, domain] = splitAddress(supportAddress);
  return `${local}+${ticket.ref.toLowerCase()}-${signatureFor(ticket.id, secret)}@${domain}`;
}

/** Reads `support+<ref>-<sig>@domain` among `recipients`; returns the claimed ref and signature, unverified. */
export function replyTokenIn(
  recipients: readonly string[],
  supportAddress: string,
): { ref: string; signature: string } | undefined {
  const [local, domain] = splitAddress(supportAddress);
  const pattern = new RegExp(
    `^${escapeRegExp(local)}\\+(${REF_CHARS})-([${BASE32}]{${SIGNATURE_LENGTH}})@${escapeRegExp(domain)}$`,
    'i',
  );
  // Every reply address has this one length, so a recipient of any other length is passed over unread.
  const length = local.length + 1 + TICKET_REF_LENGTH + 1 + SIGNATURE_LENGTH + 1 + domain.length;
  for (const recipient of recipients) {
    const address = recipient.trim();
    if (address.length !== length) continue;
    const match = address.match(pattern);
    if (match?.[1] && match[2]) return { ref: match[1].toUpperCase(), signature: match[2].toLowerCase() };
  }
  return undefined;
}

export function isValidReplySignature(ticketId: string, signature: string, secret: string): boolean {
  const expected = Buffer.from(signatureFor(ticketId, secret));
  const given = Buffer.from(signature.toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return [address.slice(0, at).toLowerCase(), address.slice(at + 1).toLowerCase()];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The key under which a Message-ID is indexed. SES replaces the Message-ID of everything it sends with
 * `<id@REGION.amazonses.com>` (or `email.amazonses.com`); keying those on the SES id alone makes a reply match
 * whichever regional spelling the customer's client copied.
 */
export function messageIdKey(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  const at = bare.lastIndexOf('@');
  const domain = at === -1 ? '' : bare.slice(at + 1).toLowerCase();
  if (domain === 'amazonses.com' || domain.endsWith('.amazonses.com')) return `ses:${bare.slice(0, at)}`;
  return `id:${bare.slice(0, at)}@${domain}`;
}

const OWN_ID_SIGNATURE_LENGTH = 12;

/**
 * What a Message-ID of the desk's own was written for: an acknowledgement, a staff notification, a relayed
 * answer, a notice to staff, an SLA warning or escalation, a customer's warning of a secret they sent.
 */
export const OWN_MESSAGE_PURPOSES = ['ack', 'note', 'reply', 'notice', 'sla', 'warn'] as const;
export type OwnMessagePurpose = (typeof OWN_MESSAGE_PURPOSES)[number];

/**
 * Tells apart several messages of one purpose on one ticket (each notification, each answer): derived from
 * what caused the message (a delivery's SES id, a request's idempotency key), so a retry writes the same id.
 */
export function ownMessageDiscriminator(cause: string): string {
  return base32(createHmac('sha256', 'own-message-discriminator').update(cause).digest()).slice(0, 10);
}

/**
 * The Message-ID Concierge writes on mail it sends for a ticket: `<ack.k7q3xm.<signature>@domain>`, or with a
 * discriminator `<note.k7q3xm.<discriminator>.<signature>@domain>`. SES replaces it on the wire, but it travels
 * in References, and a reply or a bounce that cites it names its ticket without a lookup; the signature keeps
 * anyone else from minting one.
 */
export function ownMessageIdFor(purpose: OwnMessagePurpose, ticketId: string, supportAddress: string, secret: string, discriminator?: string): string {
  const [, domain] = splitAddress(supportAddress);
  const middle = discriminator ? `${ticketId.toLowerCase()}.${discriminator}` : ticketId.toLowerCase();
  return `<${purpose}.${middle}.${ownIdSignature(purpose, ticketId, secret, discriminator)}@${domain}>`;
}

function ownIdSignature(purpose: string, ticketId: string, secret: string, discriminator?: string): string {
  const subject = `own-message-id:${purpose}:${ticketId.toUpperCase()}${discriminator ? `:${discriminator}` : ''}`;
  return base32(createHmac('sha256', secret).update(subject).digest()).slice(0, OWN_ID_SIGNATURE_LENGTH);
}

/** The ticket a Message-ID of Concierge's own names, when its signature is valid; otherwise undefined. */
export function ticketOfOwnMessageId(messageId: string, supportAddress: string, secret: string): string | undefined {
  const [, domain] = splitAddress(supportAddress);
  const bare = messageId.trim().replace(/^<|>$/g, '');
  if (bare.length > 200) return undefined;
  const match = bare.match(new RegExp(`^(${OWN_MESSAGE_PURPOSES.join('|')})\\.(${REF_CHARS})(?:\\.([${BASE32}]{10}))?\\.([${BASE32}]{${OWN_ID_SIGNATURE_LENGTH}})@${escapeRegExp(domain)}$`, 'i'));
  if (!match?.[1] || !match[2] || !match[4]) return undefined;
  const ticketId = match[2].toUpperCase();
  const discriminator = match[3]?.toLowerCase();
  const expected = Buffer.from(ownIdSignature(match[1].toLowerCase(), ticketId, secret, discriminator));
  const given = Buffer.from(match[4].toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given) ? ticketId : undefined;
}

/** Whether a normalised Message-ID is one SES assigned (see messageIdKey). */
export function isSesAssignedKey(key: string): boolean {
  return key.startsWith('ses:');
}

/** The Message-ID SES gives a message it sent with id `sesMessageId`. */
export function sesMessageIdHeader(sesMessageId: string, region: string): string {
  const domain = region === 'us-east-1' ? 'email.amazonses.com' : `${region}.amazonses.com`;
  return `<${sesMessageId}@${domain}>`;
}
