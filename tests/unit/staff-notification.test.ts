import { describe, expect, it } from 'vitest';
import {
  buildReplyRejectedNotice,
  buildStaffNotification,
  MAX_NOTIFIED_TEXT_CHARS,
  REPLY_REJECTION_TEXT,
  type StaffNotificationInput,
} from '../../functions/outbound/notification';
import { REPLY_ABOVE_MARKER } from '../../functions/outbound/template-parts';

const support = { name: 'Concierge', address: 'support@concierge.test' };

function input(fields: Partial<StaffNotificationInput> = {}): StaffNotificationInput {
  return {
    ticket: { ref: 'K7Q3XM', subject: 'Re: Withdrawal stuck', tier: 'vip', priority: 'normal', flags: [], firstResponseDueAt: '2026-11-21T11:00:00.000Z' },
    assignee: { email: 'mia@desk.test' },
    customer: { address: 'dana@customer.example', tier: 'vip', openTickets: 2, lastContactAt: '2026-11-01T08:30:00Z' },
    text: 'My withdrawal of 2 BTC has been pending for 3 hours.\nTxid: abc',
    assignmentReason: "you are this client's dedicated manager",
    followUp: false,
    support,
    replyAddress: 'support+k7q3xm.st-mia.abcdefghijklmnopqrst@concierge.test',
    messageId: '<notify.k7q3xm.1@concierge.test>',
    ...fields,
  };
}

describe('staff notification', () => {
  it('goes to the assignee from the support address, answerable through the staff reply address', () => {
    const mail = buildStaffNotification(input());
    expect(mail.to).toBe('mia@desk.test');
    expect(mail.from).toEqual(support);
    expect(mail.replyTo).toBe('support+k7q3xm.st-mia.abcdefghijklmnopqrst@concierge.test');
    expect(mail.subject).toBe('[#K7Q3XM] Withdrawal stuck');
  });

  it('opens with the reply marker, then shows the text, who the customer is and why this person got it', () => {
    const mail = buildStaffNotification(input());
    const lines = mail.text.split('\n');
    expect(lines[0]).toBe(REPLY_ABOVE_MARKER);
    expect(mail.text).toContain('    My withdrawal of 2 BTC has been pending for 3 hours.\n    Txid: abc');
    expect(mail.text).toContain("Why you: you are this client's dedicated manager.");
    expect(mail.text).toContain('  Address: dana@customer.example');
    expect(mail.text).toContain('  Tier: VIP');
    expect(mail.text).toContain('  Open tickets: 2');
    expect(mail.text).toContain('  Last contact: 2026-11-01 08:30 UTC');
    expect(mail.text).toContain('  First response due: 2026-11-21 11:00 UTC');
  });

  it('says when the customer has not written before', () => {
    const mail = buildStaffNotification(input({ customer: { address: 'x@y.example', tier: 'standard', openTickets: 1 } }));
    expect(mail.text).toContain('  Last contact: none before this ticket');
    expect(mail.text).toContain('  Tier: standard');
  });

  it('shows flags prominently, before the customer’s text', () => {
    const mail = buildStaffNotification(input({ ticket: { ...input().ticket, tier: 'standard', flags: ['unverified-sender'] } }));
    const warning = mail.text.indexOf('!! UNVERIFIED SENDER');
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(mail.text.indexOf('The customer wrote:'));
    expect(mail.text).not.toContain('!! SECURITY INCIDENT');
  });

  it('is marked automatic so that nobody’s auto-responder answers it', () => {
    expect(buildStaffNotification(input()).headers).toEqual({
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Concierge-Ticket': 'K7Q3XM',
    });
  });

  it('caps the customer’s text and says so', () => {
    const mail = buildStaffNotification(input({ text: 'a'.repeat(MAX_NOTIFIED_TEXT_CHARS + 500) }));
    expect(mail.text).toContain('a'.repeat(MAX_NOTIFIED_TEXT_CHARS));
    expect(mail.text).not.toContain('a'.repeat(MAX_NOTIFIED_TEXT_CHARS + 1));
    expect(mail.text).toContain('[Cut here: the message is longer than 10,000 characters. The whole text is on the ticket.]');
    expect(buildStaffNotification(input()).text).not.toContain('Cut here');
    expect(buildStaffNotification(input({ textTruncated: true })).text).toContain('[Cut here: the message was longer than the desk stores');
  });

  it('indents the customer’s lines, so a customer cannot write a line that reads as the marker or the desk’s own', () => {
    const mail = buildStaffNotification(input({ text: `${REPLY_ABOVE_MARKER}\nWhy you: because` }));
    const lines = mail.text.split('\n');
    expect(lines.filter((line) => line === REPLY_ABOVE_MARKER)).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('Why you:'))).toHaveLength(1);
  });

  it('a new ticket’s notification threads under nothing', () => {
    const mail = buildStaffNotification(input());
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.references).toEqual(['<notify.k7q3xm.1@concierge.test>']);
  });

  it('a follow-up threads under the earlier notifications, by SES’s ids and the desk’s own', () => {
    const mail = buildStaffNotification(
      input({
        followUp: true,
        messageId: '<notify.k7q3xm.3@concierge.test>',
        previousNotifications: [
          { messageId: '<0100-a@email.amazonses.com>', ownMessageId: '<notify.k7q3xm.1@concierge.test>' },
          { messageId: '<0100-b@email.amazonses.com>', ownMessageId: '<notify.k7q3xm.2@concierge.test>' },
        ],
      }),
    );
    expect(mail.subject).toBe('[#K7Q3XM] Re: Withdrawal stuck');
    expect(mail.inReplyTo).toBe('<0100-b@email.amazonses.com>');
    expect(mail.references).toEqual([
      '<notify.k7q3xm.1@concierge.test>',
      '<0100-a@email.amazonses.com>',
      '<notify.k7q3xm.2@concierge.test>',
      '<0100-b@email.amazonses.com>',
      '<notify.k7q3xm.3@concierge.test>',
    ]);
    expect(mail.text).toContain('follow-up from the customer');
  });

  it('a follow-up whose earlier notification has no SES id yet threads under the desk’s own id', () => {
    const mail = buildStaffNotification(input({ followUp: true, previousNotifications: [{ ownMessageId: '<notify.k7q3xm.1@concierge.test>' }] }));
    expect(mail.inReplyTo).toBe('<notify.k7q3xm.1@concierge.test>');
  });
});

describe('reply-rejected notice', () => {
  it('tells the staff sender why, names the ticket, and repeats nothing of the customer', () => {
    const mail = buildReplyRejectedNotice({ ref: 'K7Q3XM', reason: 'wrong-sender', to: 'bo@desk.test', inReplyTo: '<r1@desk.test>', support, messageId: '<rejected.1@concierge.test>' });
    expect(mail.to).toBe('bo@desk.test');
    expect(mail.subject).toBe('[#K7Q3XM] Your reply was not sent');
    expect(mail.text).toContain(REPLY_REJECTION_TEXT['wrong-sender']);
    expect(mail.text).toContain('ticket K7Q3XM');
    expect(mail.inReplyTo).toBe('<r1@desk.test>');
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
  });

  it('explains an empty reply in plain words', () => {
    const mail = buildReplyRejectedNotice({ ref: 'K7Q3XM', reason: 'empty-reply', to: 'mia@desk.test', support, messageId: '<rejected.2@concierge.test>' });
    expect(mail.text).toContain('The reply has no text above the quoted notification.');
    expect(mail.inReplyTo).toBeUndefined();
  });

  it('without a ticket reference, names none', () => {
    const mail = buildReplyRejectedNotice({ reason: 'invalid-address', to: 'mia@desk.test', support, messageId: '<rejected.3@concierge.test>' });
    expect(mail.subject).toBe('Your reply was not sent');
    expect(mail.headers['X-Concierge-Ticket']).toBeUndefined();
  });
});
