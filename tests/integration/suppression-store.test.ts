/**
 * The suppression list on DynamoDB Local: one record per address (long ones keyed by digest), active ones
 * listed newest first a page at a time, lifts kept on the record, a lifted cause never suppressing again; the
 * sender's record in a new ticket's batch read; and a send to a suppressed address settled as `suppressed`
 * without reaching SES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSuppressionStore } from '../../functions/adapters/dynamodb/suppressions';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import { sendOnce } from '../../functions/outbound/send-once';
import { SuppressionCheckingMailSender } from '../../functions/outbound/suppression-guard';
import type { NewSuppression } from '../../functions/suppression/model';
import { outboundMessage } from '../../functions/tickets/outbound-messages';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { documentClientFor, testRef } from '../helpers/stored-tickets';

let stack: TestStack;
let store: DynamoSuppressionStore;
let tickets: DynamoTicketStore;

beforeAll(async () => {
  stack = await startTestStack();
  const client = documentClientFor(stack);
  store = new DynamoSuppressionStore(client, stack.tableName);
  tickets = new DynamoTicketStore(client, stack.tableName);
});
afterAll(async () => {
  await stack?.teardown();
});

const bounce = (email: string, overrides: Partial<NewSuppression> = {}): NewSuppression => ({
  email,
  reason: 'hard-bounce',
  suppressedAt: new Date().toISOString(),
  cause: `ses:${testRef()}`,
  bounceType: 'Permanent',
  bounceSubType: 'General',
  status: '5.1.1',
  diagnosticCode: 'smtp; 550 5.1.1 user unknown',
  sesMessageId: `0100-${testRef()}`,
  ...overrides,
});

const mailTo = (to: string, extra: Partial<OutboundMail> = {}): OutboundMail => ({
  from: { name: 'Concierge Support', address: 'support@concierge.test' },
  to,
  replyTo: 'support@concierge.test',
  subject: 'Your answer',
  text: 'Hello',
  messageId: `<reply.${testRef().toLowerCase()}@concierge.test>`,
  references: [],
  headers: {},
  ...extra,
});

class CountingSender {
  sent = 0;
  async send(): Promise<{ sesMessageId: string }> {
    this.sent += 1;
    return { sesMessageId: `0100-${testRef()}` };
  }
}

describe('the suppression store', () => {
  it('suppresses an address once, lower-cased, and keeps the details', async () => {
    // Act
    const first = await store.suppress(bounce('Mixed.Case@Example.com'));
    const second = await store.suppress(bounce('mixed.case@example.com'));

    // Assess
    expect([first, second]).toEqual(['suppressed', 'already-suppressed']);
    expect(await store.getSuppression('MIXED.case@example.com')).toMatchObject({ email: 'mixed.case@example.com', reason: 'hard-bounce', active: true, status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown', lifts: [] });
  });

  it('keys an address longer than 200 bytes by its digest', async () => {
    const long = `${'x'.repeat(2_500)}@example.com`;
    expect(await store.suppress(bounce(long))).toBe('suppressed');
    expect((await store.getSuppression(long))?.email).toBe(long);
  });

  it('lifts with a reason and keeps the lift; a redelivery of the lifted cause does not suppress again, a new bounce does', async () => {
    // Prepare
    const email = `lift-${testRef().toLowerCase()}@example.com`;
    const original = bounce(email);
    await store.suppress(original);

    // Act
    const lifted = await store.lift(email, { reason: 'mailbox fixed', by: 'ada', at: '2026-11-22T10:00:00.000Z' });
    const liftedAgain = await store.lift(email, { reason: 'again', by: 'ada', at: '2026-11-22T10:01:00.000Z' });
    const redelivered = await store.suppress(original);
    const complaint = await store.suppress({ email, reason: 'complaint', suppressedAt: new Date().toISOString(), cause: 'ses:complaint-1', complaintFeedbackType: 'abuse' });

    // Assess
    expect(lifted).toMatchObject({ active: false, liftedAt: '2026-11-22T10:00:00.000Z', liftedBy: 'ada', liftReason: 'mailbox fixed', lifts: [{ by: 'ada', reason: 'mailbox fixed', suppressedReason: 'hard-bounce', suppressedAt: original.suppressedAt }] });
    expect(liftedAgain).toBeUndefined();
    expect(redelivered).toBe('already-suppressed');
    expect(complaint).toBe('suppressed');
    const now = await store.getSuppression(email);
    expect(now).toMatchObject({ active: true, reason: 'complaint', complaintFeedbackType: 'abuse', lifts: [{ reason: 'mailbox fixed' }] });
    // The bounce's details went with the lift; nothing of them is left on the complaint.
    expect(now?.diagnosticCode).toBeUndefined();
    expect(now?.liftedAt).toBeUndefined();
  });

  it('lists active suppressions newest first, a page at a time, without lifted ones', async () => {
    // Prepare: a store of its own would need a table of its own; these three are the newest in this table
    const base = Date.parse('2099-01-01T00:00:00Z');
    const emails = [0, 1, 2].map((n) => `list-${n}-${testRef().toLowerCase()}@example.com`);
    for (const [n, email] of emails.entries()) await store.suppress(bounce(email, { suppressedAt: new Date(base + n * 1000).toISOString() }));
    await store.lift(emails[1]!, { reason: 'ok', by: 'test', at: new Date().toISOString() });

    // Act
    const first = await store.listSuppressions(1);
    const second = await store.listSuppressions(1, { suppressedAt: first.items[0]!.suppressedAt, email: first.items[0]!.email });

    // Assess
    expect(first).toMatchObject({ items: [{ email: emails[2] }], more: true });
    expect(second.items.map((item) => item.email)).toEqual([emails[0]]);
  });
});

describe('what a send learns of the list', () => {
  it('a new ticket’s batch read brings the sender’s suppression, or says there is none', async () => {
    const email = `batch-${testRef().toLowerCase()}@example.com`;
    expect((await tickets.lookupDelivery([], email)).suppressionOf).toEqual({ address: email });
    await store.suppress(bounce(email));
    expect((await tickets.lookupDelivery([], email)).suppressionOf).toMatchObject({ address: email, suppression: { reason: 'hard-bounce', active: true } });
  });

  it('a send to a suppressed address is settled as suppressed, with why, and never reaches SES', async () => {
    // Prepare
    const email = `send-${testRef().toLowerCase()}@example.com`;
    await store.suppress(bounce(email, { suppressedAt: '2026-11-22T08:00:00.000Z' }));
    const ses = new CountingSender();
    const mail = mailTo(email);
    const ticketId = testRef();
    const message = outboundMessage(mail, { ticketId, key: `~reply:${testRef()}`, purpose: 'staff-reply', staffId: 'st-aaaaaaaa', text: mail.text, classification: { kind: 'person', reason: 'test' }, language: 'en', receivedAt: new Date().toISOString() });

    // Act
    const outcome = await sendOnce({ ledger: tickets.outboundLedger(message), holder: 'h1', mail, sender: new SuppressionCheckingMailSender(ses, store), wireMessageId: (id) => `<${id}@email.amazonses.com>`, now: () => new Date(), leaseMs: 60_000 });
    const again = await sendOnce({ ledger: tickets.outboundLedger(message), holder: 'h2', mail, sender: new SuppressionCheckingMailSender(ses, store), wireMessageId: (id) => `<${id}@email.amazonses.com>`, now: () => new Date(), leaseMs: 60_000 });

    // Assess
    expect(outcome).toEqual({ status: 'suppressed', error: 'suppressed: hard bounce on 2026-11-22 (smtp; 550 5.1.1 user unknown)' });
    expect(again).toEqual({ status: 'settled', state: 'suppressed' });
    expect(ses.sent).toBe(0);
    expect(await tickets.listMessages(ticketId)).toEqual([expect.objectContaining({ sendState: 'suppressed', sendError: 'suppressed: hard bounce on 2026-11-22 (smtp; 550 5.1.1 user unknown)' })]);
  });

  it('a fact read before is used instead of a read of its own; a lifted suppression lets the mail go', async () => {
    const email = `known-${testRef().toLowerCase()}@example.com`;
    const ses = new CountingSender();
    let reads = 0;
    const counting = { getSuppression: async (address: string) => ((reads += 1), store.getSuppression(address)) };
    const sender = new SuppressionCheckingMailSender(ses, counting);
    await sender.send(mailTo(email, { knownSuppression: { address: email } }));
    expect([reads, ses.sent]).toEqual([0, 1]);

    await store.suppress(bounce(email));
    await store.lift(email, { reason: 'fixed', by: 'test', at: new Date().toISOString() });
    await sender.send(mailTo(email));
    expect([reads, ses.sent]).toEqual([1, 2]);
  });
});
