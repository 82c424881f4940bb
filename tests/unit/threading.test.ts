import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../functions/tickets/model';
import {
  isValidReplySignature,
  MAX_SUBJECT_TOKEN_SCAN_CHARS,
  messageIdKey,
  ownMessageDiscriminator,
  ownMessageIdFor,
  ticketOfOwnMessageId,
  ticketRefFor,
  replyAddressFor,
  replyTokenIn,
  sesMessageIdHeader,
  subjectTokenOf,
  TICKET_REF_ALPHABET,
} from '../../functions/tickets/references';
import { candidateMessageIds, resolveThread, type ThreadLookup } from '../../functions/tickets/threading';

const SECRET = 'x'.repeat(40);
const SUPPORT = { address: 'support@concierge.test', replyTokenSecret: SECRET };

function ticketFixture(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'K7Q3XM',
    ref: 'K7Q3XM',
    subject: 'Deposit',
    category: 'deposit-withdrawal',
    status: 'open',
    customer: 'dana@customer.example',
    parties: ['dana@customer.example', 'cc@customer.example'],
    flags: [],
    language: 'en',
    tier: 'standard',
    priority: 'normal',
    createdAt: '2026-11-21T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:00.000Z',
    firstResponseDueAt: '2026-11-22T10:00:00.000Z',
    messageCount: 1,
    openedBy: { sesMessageId: 'ses-1', origin: 'dana@customer.example\nid:first@x' },
    ack: { state: 'sent' },
    ...overrides,
  };
}

/** An in-memory lookup: threading is pure logic over two reads. Ids starting `ses:` are our outbound ones. */
function lookupWith(ticket: Ticket, messageIds: Record<string, string> = {}): ThreadLookup {
  return {
    lookupMessageIds: async (keys) =>
      new Map(keys.filter((key) => messageIds[key]).map((key) => [key, { ticketId: messageIds[key]!, outbound: key.startsWith('ses:') }])),
    getTicket: async (id) => (id === ticket.id ? ticket : undefined),
  };
}

const base = {
  inReplyTo: [],
  references: [],
  recipients: ['support@concierge.test'],
  subject: 'Hello',
  sender: 'dana@customer.example',
  senderTrust: 'aligned' as const,
  machineGenerated: false,
};

describe('ticket references', () => {
  it('are six characters from an alphabet without look-alikes, spread evenly, and not sequential', () => {
    const refs = Array.from({ length: 4000 }, (_, i) => ticketRefFor(`sender@x\nid:${i}@x`, 0, SECRET));
    expect(new Set(refs).size).toBeGreaterThan(3990);
    for (const ref of refs) expect(ref).toMatch(new RegExp(`^[${TICKET_REF_ALPHABET}]{6}$`));
    expect(TICKET_REF_ALPHABET).not.toMatch(/[01IO]/);
    // Every character position uses the whole alphabet (5 bits of the HMAC each, no modulo bias to speak of).
    for (let position = 0; position < 6; position += 1) {
      const counts = new Map<string, number>();
      for (const ref of refs) counts.set(ref[position]!, (counts.get(ref[position]!) ?? 0) + 1);
      expect(counts.size).toBe(32);
      expect(Math.min(...counts.values())).toBeGreaterThan(4000 / 32 / 2);
    }
  });

  it('are the same for every delivery of the same mail, another for the next attempt, and unguessable without the secret', () => {
    const origin = 'dana@customer.example\nid:first@x';
    expect(ticketRefFor(origin, 0, SECRET)).toBe(ticketRefFor(origin, 0, SECRET));
    expect(ticketRefFor(origin, 1, SECRET)).not.toBe(ticketRefFor(origin, 0, SECRET));
    expect(ticketRefFor(origin, 0, 'y'.repeat(40))).not.toBe(ticketRefFor(origin, 0, SECRET));
  });

  it('are read from a subject token in any case', () => {
    expect(subjectTokenOf('Re: [#k7q3xm] Deposit')).toBe('K7Q3XM');
    expect(subjectTokenOf('Re: #K7Q3XM Deposit')).toBeUndefined();
  });
});

describe('signed reply addresses', () => {
  it('round-trip, and a forged signature or another ticket id does not verify', () => {
    const ticket = ticketFixture();
    const address = replyAddressFor('support@concierge.test', ticket, SECRET);
    const token = replyTokenIn(['someone@else.example', address.toUpperCase()], 'support@concierge.test');
    expect(token?.ref).toBe('K7Q3XM');
    expect(isValidReplySignature(ticket.id, token!.signature, SECRET)).toBe(true);
    expect(isValidReplySignature('another-ticket', token!.signature, SECRET)).toBe(false);
    expect(isValidReplySignature(ticket.id, 'a'.repeat(16), SECRET)).toBe(false);
  });
});

describe('reading references from hostile input', () => {
  it('looks for a subject token in the first MAX_SUBJECT_TOKEN_SCAN_CHARS characters only', () => {
    // Prepare
    const early = `${'Re: '.repeat(200)}[#K7Q3XM] Deposit`;
    const late = `${'x'.repeat(MAX_SUBJECT_TOKEN_SCAN_CHARS)}[#K7Q3XM]`;
    const hostile = '[#K7Q3X'.repeat(30_000);

    // Act
    const tokens = [early, late, hostile].map(subjectTokenOf);

    // Assess
    expect(early.indexOf('[#')).toBeLessThan(MAX_SUBJECT_TOKEN_SCAN_CHARS);
    expect(tokens).toEqual(['K7Q3XM', undefined, undefined]);
  });

  it('reads a signed reply address among 100,000 long recipients, padded with spaces', () => {
    // Prepare
    const ticket = ticketFixture();
    const address = replyAddressFor(SUPPORT.address, ticket, SECRET);
    const noise = Array.from({ length: 100_000 }, (_, n) => `support+${'k'.repeat(500)}${n}@concierge.test`);

    // Act
    const found = replyTokenIn([...noise, `  ${address.toUpperCase()} `], SUPPORT.address);

    // Assess
    expect(found?.ref).toBe(ticket.ref);
    expect(isValidReplySignature(ticket.id, found?.signature ?? '', SECRET)).toBe(true);
  });
});

describe('message id keys', () => {
  it('match an SES id in any regional spelling', () => {
    expect(messageIdKey('<0100abc-000000@email.amazonses.com>')).toBe(messageIdKey(sesMessageIdHeader('0100abc-000000', 'eu-west-1')));
    expect(messageIdKey('<X@Host.Example>')).toBe('id:X@host.example');
  });

  it('tries In-Reply-To first, then References newest first', () => {
    expect(candidateMessageIds(['<c@x>'], ['<a@x>', '<b@x>', '<c@x>'])).toEqual(['<c@x>', '<b@x>', '<a@x>']);
  });
});

describe('resolveThread', () => {
  const ticket = ticketFixture();

  it('joins by an older id in References when the newest is unknown', async () => {
    const decision = await resolveThread({ ...base, references: ['<known@x>', '<unknown@x>'] }, lookupWith(ticket, { 'id:known@x': ticket.id }), SUPPORT);
    expect(decision).toMatchObject({ kind: 'existing', via: 'headers' });
  });

  it('joins by signed reply address and by subject token from a party', async () => {
    const address = replyAddressFor('support@concierge.test', ticket, SECRET);
    expect(await resolveThread({ ...base, recipients: [address] }, lookupWith(ticket), SUPPORT)).toMatchObject({ kind: 'existing', via: 'reply-address' });
    expect(await resolveThread({ ...base, sender: 'cc@customer.example', subject: 'Re: [#K7Q3XM]' }, lookupWith(ticket), SUPPORT)).toMatchObject({
      kind: 'existing',
      via: 'subject-token',
    });
  });

  it('never lets a stranger in, whichever way they refer to the ticket', async () => {
    const stranger = { ...base, sender: 'mallory@evil.example' };
    const address = replyAddressFor('support@concierge.test', ticket, SECRET);
    for (const input of [
      { ...stranger, subject: '[#K7Q3XM]' },
      { ...stranger, recipients: [address] },
      { ...stranger, inReplyTo: ['<known@x>'] },
    ]) {
      const decision = await resolveThread(input, lookupWith(ticket, { 'id:known@x': ticket.id }), SUPPORT);
      expect(decision).toEqual({ kind: 'new', strangerReference: { ticketId: ticket.id, via: expect.any(String) } });
    }
  });

  it('does not let a sender whose From is not proven use a party’s address by any route', async () => {
    const address = replyAddressFor('support@concierge.test', ticket, SECRET);
    for (const senderTrust of ['failed', 'unknown', 'unaligned'] as const) {
      for (const input of [
        { ...base, senderTrust, subject: '[#K7Q3XM]' },
        { ...base, senderTrust, recipients: [address] },
        { ...base, senderTrust, inReplyTo: ['<known@x>'] },
      ]) {
        expect((await resolveThread(input, lookupWith(ticket, { 'id:known@x': ticket.id }), SUPPORT)).kind).toBe('new');
      }
    }
  });

  it('knows its own signed ids without a lookup, and refuses a forged one', async () => {
    const own = ownMessageIdFor('ack', ticket.id, 'support@concierge.test', SECRET);
    expect(ticketOfOwnMessageId(own, 'support@concierge.test', SECRET)).toBe(ticket.id);
    expect(ticketOfOwnMessageId(own.replace(/\.([a-z2-7]+)@/, '.aaaaaaaaaaaa@'), 'support@concierge.test', SECRET)).toBeUndefined();
    expect(ticketOfOwnMessageId(own, 'support@other.test', SECRET)).toBeUndefined();
    const noIndex = lookupWith(ticket);
    expect(await resolveThread({ ...base, references: ['<unknown@x>', own] }, noIndex, SUPPORT)).toMatchObject({ kind: 'existing', via: 'headers' });
    const bounce = { ...base, sender: 'mailer-daemon@mx.example', machineGenerated: true, deliveryReport: true, senderTrust: 'unknown' as const };
    expect(await resolveThread({ ...bounce, references: [own] }, noIndex, SUPPORT)).toMatchObject({ kind: 'existing' });
  });

  it('attaches only delivery reports on our mail without a party check: Auto-Submitted is anyone’s to add', async () => {
    const own = ownMessageIdFor('ack', ticket.id, 'support@concierge.test', SECRET);
    const forgedAutoReply = { ...base, machineGenerated: true, senderTrust: 'unaligned' as const, references: [own] };
    expect(await resolveThread(forgedAutoReply, lookupWith(ticket), SUPPORT)).toEqual({ kind: 'new' });
    const failedReport = { ...base, sender: 'mailer-daemon@mx.example', machineGenerated: true, deliveryReport: true, senderTrust: 'failed' as const, references: [own] };
    expect(await resolveThread(failedReport, lookupWith(ticket), SUPPORT)).toEqual({ kind: 'new' });
  });

  it('does not let a stranger in by calling their mail an auto-reply', async () => {
    const disguised = { ...base, sender: 'mallory@evil.example', machineGenerated: true, senderTrust: 'failed' as const, inReplyTo: ['<customer-message@x>'] };
    const decision = await resolveThread(disguised, lookupWith(ticket, { 'id:customer-message@x': ticket.id }), SUPPORT);
    expect(decision.kind).toBe('new');
  });

  it('ignores a reply address whose signature does not match', async () => {
    const decision = await resolveThread({ ...base, recipients: ['support+k7q3xm-aaaaaaaaaaaaaaaa@concierge.test'] }, lookupWith(ticket), SUPPORT);
    expect(decision).toEqual({ kind: 'new' });
  });

  it('attaches a bounce that names our own message, but a subject token alone never makes machine mail a stranger', async () => {
    const bounce = { ...base, sender: 'mailer-daemon@mx.example', machineGenerated: true, deliveryReport: true };
    expect(await resolveThread({ ...bounce, inReplyTo: ['<0100abc@email.amazonses.com>'] }, lookupWith(ticket, { 'ses:0100abc': ticket.id }), SUPPORT)).toMatchObject({
      kind: 'existing',
    });
    expect(await resolveThread({ ...bounce, subject: 'Undeliverable: [#K7Q3XM]' }, lookupWith(ticket), SUPPORT)).toEqual({ kind: 'new' });
  });
});

describe('own Message-IDs of several messages of one purpose', () => {
  const supportAddress = 'support@concierge.test';
  it('names the ticket for each purpose and discriminator, and refuses a signature moved to another message', () => {
    const first = ownMessageIdFor('note', 'K7Q3XM', supportAddress, SECRET, ownMessageDiscriminator('delivery-1'));
    const second = ownMessageIdFor('note', 'K7Q3XM', supportAddress, SECRET, ownMessageDiscriminator('delivery-2'));
    expect(first).not.toBe(second);
    expect(first).toMatch(/^<note\.k7q3xm\.[a-z2-7]{10}\.[a-z2-7]{12}@concierge\.test>$/);
    for (const id of [first, second, ownMessageIdFor('reply', 'K7Q3XM', supportAddress, SECRET, 'abcdefghij'), ownMessageIdFor('ack', 'K7Q3XM', supportAddress, SECRET)]) {
      expect(ticketOfOwnMessageId(id, supportAddress, SECRET)).toBe('K7Q3XM');
    }
    // The second message's signature does not sign the first message's discriminator, nor another purpose.
    const [, firstDiscriminator] = /\.([a-z2-7]{10})\./.exec(first)!;
    const [, secondSignature] = /\.([a-z2-7]{12})@/.exec(second)!;
    expect(ticketOfOwnMessageId(`<note.k7q3xm.${firstDiscriminator}.${secondSignature}@concierge.test>`, supportAddress, SECRET)).toBeUndefined();
    expect(ticketOfOwnMessageId(first.replace('<note.', '<reply.'), supportAddress, SECRET)).toBeUndefined();
    expect(ownMessageDiscriminator('delivery-1')).toBe(ownMessageDiscriminator('delivery-1'));
  });
});
