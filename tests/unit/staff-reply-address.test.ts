import { describe, expect, it } from 'vitest';
import { replyAddressFor, replyTokenIn } from '../../functions/tickets/references';
import {
  isValidStaffReplySignature,
  staffReplyAddressFor,
  staffReplyTokenIn,
  STAFF_REPLY_SIGNATURE_LENGTH,
  verifiedStaffReplyTarget,
} from '../../functions/tickets/staff-reply-address';

const SUPPORT = 'Support@Concierge.test';
const SECRET = 'reply-secret';
const ticket = { id: 'K7Q3XM', ref: 'K7Q3XM' };
const other = { id: 'M3XK7Q', ref: 'M3XK7Q' };

function parts(address: string): { ref: string; staffId: string; signature: string; domain: string } {
  const match = address.match(/^support\+([^.]+)\.([^.]+)\.([^@]+)@(.+)$/);
  if (!match) throw new Error(`not a staff reply address: ${address}`);
  return { ref: match[1] ?? '', staffId: match[2] ?? '', signature: match[3] ?? '', domain: match[4] ?? '' };
}

describe('staff reply address', () => {
  it('is lower case, names the ticket and the staff member, and carries a fixed-size signature of at least 80 bits', () => {
    const address = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET);
    expect(address).toBe(address.toLowerCase());
    const { ref, staffId, signature, domain } = parts(address);
    expect([ref, staffId, domain]).toEqual(['k7q3xm', 'st-alice', 'concierge.test']);
    expect(signature).toHaveLength(STAFF_REPLY_SIGNATURE_LENGTH);
    expect(STAFF_REPLY_SIGNATURE_LENGTH * 5).toBeGreaterThanOrEqual(80);
    expect(address.split('@')[0]?.length).toBeLessThanOrEqual(64);
  });

  it('verifies when read back among other recipients', () => {
    const address = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET);
    expect(verifiedStaffReplyTarget(['someone@else.test', ` ${address} `], SUPPORT, SECRET)).toEqual({ ticketId: 'K7Q3XM', staffId: 'st-alice' });
  });

  it('survives a mail system that upper-cases the address', () => {
    const address = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET).toUpperCase();
    expect(verifiedStaffReplyTarget([address], SUPPORT, SECRET)).toEqual({ ticketId: 'K7Q3XM', staffId: 'st-alice' });
  });

  it('is refused with the reference changed', () => {
    const { staffId, signature } = parts(staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET));
    const tampered = `support+m3xk7q.${staffId}.${signature}@concierge.test`;
    expect(staffReplyTokenIn([tampered], SUPPORT)).toMatchObject({ ref: 'M3XK7Q' });
    expect(verifiedStaffReplyTarget([tampered], SUPPORT, SECRET)).toBeUndefined();
  });

  it('is refused with the staff id changed', () => {
    const { ref, signature } = parts(staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET));
    expect(verifiedStaffReplyTarget([`support+${ref}.st-bob.${signature}@concierge.test`], SUPPORT, SECRET)).toBeUndefined();
  });

  it('is refused with the signature changed by one character', () => {
    const { ref, staffId, signature } = parts(staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET));
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('a') ? 'b' : 'a'}`;
    expect(verifiedStaffReplyTarget([`support+${ref}.${staffId}.${flipped}@concierge.test`], SUPPORT, SECRET)).toBeUndefined();
  });

  it('is refused with another ticket’s signature, or another staff member’s', () => {
    const { signature: otherTicket } = parts(staffReplyAddressFor(SUPPORT, other, 'st-alice', SECRET));
    const { signature: otherStaff } = parts(staffReplyAddressFor(SUPPORT, ticket, 'st-bob', SECRET));
    expect(isValidStaffReplySignature('K7Q3XM', 'st-alice', otherTicket, SECRET)).toBe(false);
    expect(isValidStaffReplySignature('K7Q3XM', 'st-alice', otherStaff, SECRET)).toBe(false);
  });

  it('is refused under another secret', () => {
    const address = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET);
    expect(verifiedStaffReplyTarget([address], SUPPORT, 'another-secret')).toBeUndefined();
  });

  it('signs in a domain of its own: the customer’s reply signature never verifies here, and neither address reads as the other', () => {
    const customerAddress = replyAddressFor(SUPPORT, ticket, SECRET);
    const customerSignature = customerAddress.split('-').at(-1)?.split('@')[0] ?? '';
    expect(isValidStaffReplySignature('K7Q3XM', 'st-alice', customerSignature.padEnd(STAFF_REPLY_SIGNATURE_LENGTH, 'a'), SECRET)).toBe(false);
    expect(staffReplyTokenIn([customerAddress], SUPPORT)).toBeUndefined();
    expect(replyTokenIn([staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET)], SUPPORT)).toBeUndefined();
  });

  it('passes over recipients of impossible length or shape, however long, and still finds a valid one after them', () => {
    const address = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET);
    const huge = `support+k7q3xm.${'a'.repeat(1_000_000)}.x@concierge.test`;
    const wrongDomain = address.replace('concierge.test', 'concierge.tesx');
    const fourParts = address.replace('st-alice', 'st.alice');
    expect(staffReplyTokenIn([huge, wrongDomain, fourParts], SUPPORT)).toBeUndefined();
    expect(verifiedStaffReplyTarget([huge, wrongDomain, fourParts, address], SUPPORT, SECRET)).toEqual({ ticketId: 'K7Q3XM', staffId: 'st-alice' });
  });

  it('a tampered address first does not hide a valid one after it', () => {
    const address = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', SECRET);
    const forged = staffReplyAddressFor(SUPPORT, ticket, 'st-alice', 'guess');
    expect(verifiedStaffReplyTarget([forged, address], SUPPORT, SECRET)).toEqual({ ticketId: 'K7Q3XM', staffId: 'st-alice' });
  });

  it('refuses to mint an address for a staff id that could not be read back', () => {
    expect(() => staffReplyAddressFor(SUPPORT, ticket, 'ST.Alice', SECRET)).toThrow();
    expect(() => staffReplyAddressFor(SUPPORT, ticket, `st-${'x'.repeat(40)}`, SECRET)).toThrow();
  });
});
