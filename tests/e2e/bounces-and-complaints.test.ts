/**
 * Bounces and complaints on the local stack, with the SES stand-in playing SES's mailbox simulator: a
 * customer at bounce@simulator.amazonses.com is acknowledged, the acknowledgement bounces, the address is
 * suppressed and the ticket says why; answers to it are refused with 409 and nothing more reaches it; the
 * staff member whose answer bounced is told; complaints likewise; a lift with a reason lets the next answer
 * out; a bounce report by mail citing our Message-ID suppresses too; and the CLI shows and lifts.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { apiOk, composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

interface TicketView {
  id: string;
  ref: string;
  events: Array<{ type: string; actor: string; detail: Record<string, string> }>;
  messages: Array<{ direction: string; purpose?: string; sendState?: string; sendError?: string; to: string[]; messageId: string }>;
}
interface SuppressionView {
  email: string;
  reason: string;
  active: boolean;
  ticketId?: string;
  diagnosticCode?: string;
  complaintFeedbackType?: string;
  lifts: Array<{ by: string; reason: string }>;
}

let stack: TestStack;
let ada: { id: string };

const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const mailTo = async (address: string) => (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address));
const ticketOf = async (customer: string) => {
  const { tickets } = await apiOk<{ tickets: Array<{ id: string }> }>(stack, `/tickets?customer=${encodeURIComponent(customer)}`);
  return apiOk<TicketView>(stack, `/tickets/${tickets[0]!.id}`);
};
const reply = (ticket: TicketView, text: string) => stack.api<{ status?: string; error?: string; reason?: string; detail?: string }>(`/tickets/${ticket.ref}/replies`, { method: 'POST', body: { staffId: ada.id, text } });
const suppressionOf = (email: string) => stack.api<SuppressionView>(`/suppressions/${encodeURIComponent(email)}`);

beforeAll(async () => {
  stack = await startTestStack();
  ada = await apiOk(stack, '/staff', 'POST', { name: 'Ada Agent', email: 'ada@staff.example', role: 'agent', status: 'active' });
});

afterAll(async () => {
  await stack?.teardown();
});

describe('bounces and complaints', () => {
  it('a bounced acknowledgement suppresses the address, the ticket shows why, and an answer to it is refused with 409 and never sent', async () => {
    // Prepare
    const customer = 'bounce@simulator.amazonses.com';

    // Act: the customer writes in; the acknowledgement goes out and bounces shortly after
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Withdrawal pending', text: 'My withdrawal is stuck.' }));
    await stack.feedbackDelivered();

    // Assess: suppressed, listed, and recorded on the ticket with the diagnostic
    const ticket = await ticketOf(customer);
    const listed = await apiOk<{ suppressions: SuppressionView[] }>(stack, '/suppressions');
    expect(listed.suppressions).toContainEqual(expect.objectContaining({ email: customer, reason: 'hard-bounce', active: true, ticketId: ticket.id, diagnosticCode: 'smtp; 550 5.1.1 user unknown' }));
    expect(ticket.events).toContainEqual(expect.objectContaining({ type: 'delivery-suppressed', detail: expect.objectContaining({ address: customer, reason: 'hard-bounce', diagnostic: 'smtp; 550 5.1.1 user unknown', purpose: 'acknowledgement' }) }));
    expect(await mailTo(customer)).toHaveLength(1);

    // Act: Ada answers by API
    const answered = await reply(ticket, 'Your withdrawal has been released.');
    await stack.feedbackDelivered();

    // Assess: 409 saying why, nothing more to the address, and the answer on the ticket says it was suppressed
    expect(answered.status).toBe(409);
    expect(answered.body).toMatchObject({ reason: 'suppressed', detail: expect.stringMatching(/^suppressed: hard bounce on \d{4}-\d{2}-\d{2} \(smtp; 550 5\.1\.1 user unknown\)$/) });
    expect(await mailTo(customer)).toHaveLength(1);
    const after = await apiOk<TicketView>(stack, `/tickets/${ticket.id}`);
    expect(after.messages).toContainEqual(expect.objectContaining({ purpose: 'staff-reply', sendState: 'suppressed', sendError: expect.stringMatching(/^suppressed: hard bounce/) }));
  });

  it('tells the staff member whose relayed answer bounced, once, and a lift with a reason lets the next answer out', async () => {
    // Prepare: a customer who asked for no automatic answer, so the first mail to them is Ada's
    const customer = 'bounce+answer@simulator.amazonses.com';
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'KYC documents', text: 'Did you get my documents?', extraHeaders: ['X-Auto-Response-Suppress: All'] }));
    const ticket = await ticketOf(customer);
    expect(await mailTo(customer)).toHaveLength(0);

    // Act: Ada's answer goes out and bounces
    const answered = await reply(ticket, 'Yes, they are being reviewed.');
    await stack.feedbackDelivered();

    // Assess: the answer was sent, the address is suppressed, and Ada was told by mail, threaded under her answer
    expect(answered.status).toBe(201);
    expect((await suppressionOf(customer)).body).toMatchObject({ reason: 'hard-bounce', active: true });
    const notices = (await mailTo('ada@staff.example')).filter((mail) => mail.subject === `[#${ticket.ref}] Your answer was not delivered`);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain(`could not be delivered to ${customer}`);
    expect(notices[0]!.from?.value[0]?.address).toBe(stack.supportAddress);
    const answer = (await apiOk<TicketView>(stack, `/tickets/${ticket.id}`)).messages.find((message) => message.purpose === 'staff-reply')!;
    expect(notices[0]!.inReplyTo).toBe(answer.messageId);

    // Act: the same notification delivered again (SNS is at least once) changes nothing
    await stack.invokeFeedback(JSON.parse(JSON.stringify({ Records: [{ Sns: { MessageId: 'again', Message: JSON.stringify({ notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: customer }], timestamp: new Date().toISOString(), feedbackId: 'feedback-again' }, mail: { messageId: answer.messageId.slice(1, answer.messageId.indexOf('@')) } }) } }] })));
    expect((await mailTo('ada@staff.example')).filter((mail) => mail.subject === `[#${ticket.ref}] Your answer was not delivered`)).toHaveLength(1);

    // Act: a lift without a reason is refused; with one it is recorded
    const noReason = await stack.api<{ error: string }>(`/suppressions/${encodeURIComponent(customer)}`, { method: 'DELETE', body: {} });
    const lifted = await stack.api<SuppressionView>(`/suppressions/${encodeURIComponent(customer)}`, { method: 'DELETE', body: { reason: 'customer fixed the mailbox', by: 'ada' } });
    const liftedAgain = await stack.api<{ error: string }>(`/suppressions/${encodeURIComponent(customer)}`, { method: 'DELETE', body: { reason: 'again' } });

    // Assess
    expect(noReason.status).toBe(400);
    expect(noReason.body.error).toMatch(/reason/);
    expect(lifted.status).toBe(200);
    expect(lifted.body).toMatchObject({ active: false, lifts: [{ by: 'ada', reason: 'customer fixed the mailbox' }] });
    expect(liftedAgain.status).toBe(404);
    expect((await apiOk<{ suppressions: SuppressionView[] }>(stack, '/suppressions')).suppressions.map((s) => s.email)).not.toContain(customer);

    // Act: the next answer goes out
    const next = await reply(ticket, 'Your documents are approved.');
    await stack.feedbackDelivered();

    // Assess: sent and delivered to the stand-in (which bounces it again, as the simulator always does)
    expect(next.status).toBe(201);
    expect((await mailTo(customer)).map((mail) => mail.text?.includes('approved')).filter(Boolean)).toHaveLength(1);
    expect((await suppressionOf(customer)).body).toMatchObject({ active: true, lifts: [{ by: 'ada' }] });
  });

  it('a complaint suppresses like a bounce; the CLI lists, shows and lifts it', async () => {
    // Prepare
    const customer = 'complaint@simulator.amazonses.com';

    // Act
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Fees', text: 'Why was I charged twice?' }));
    await stack.feedbackDelivered();

    // Assess
    const ticket = await ticketOf(customer);
    expect((await suppressionOf(customer)).body).toMatchObject({ reason: 'complaint', complaintFeedbackType: 'abuse', active: true, ticketId: ticket.id });
    expect(ticket.events).toContainEqual(expect.objectContaining({ type: 'delivery-suppressed', detail: expect.objectContaining({ address: customer, reason: 'complaint' }) }));
    const refused = await reply(ticket, 'We have refunded the second charge.');
    expect(refused.status).toBe(409);
    expect(await mailTo(customer)).toHaveLength(1);

    // Act / Assess: the CLI
    const list = await runCli(stack.apiUrl, ['suppressions', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/complaint@simulator\.amazonses\.com\s+complaint/);
    const show = await runCli(stack.apiUrl, ['suppressions', 'show', customer]);
    expect(show.stdout).toContain('complaint@simulator.amazonses.com: suppressed');
    expect(show.stdout).toContain('detail: feedback type abuse');
    const noReason = await runCli(stack.apiUrl, ['suppressions', 'lift', customer]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);
    const lift = await runCli(stack.apiUrl, ['suppressions', 'lift', customer, '--reason', 'customer asked to hear from us again', '--by', 'lead']);
    expect(lift.code).toBe(0);
    expect(lift.stdout).toContain(`Lifted: ${customer}`);
    expect((await runCli(stack.apiUrl, ['suppressions', 'show', customer])).stdout).toMatch(/lifted .* by lead: customer asked to hear from us again/);
    const help = await runCli(stack.apiUrl, ['suppressions', '--help']);
    expect(help.stdout).toContain('suppressions lift alice@example.com --reason');
  });

  it('a bounce report by mail citing our Message-ID suppresses the failed recipient, and only one our mail was sent to', async () => {
    // Prepare: a customer's ticket, acknowledged
    const customer = `dsn-${randomBytes(3).toString('hex')}@customer.example`;
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Login problem', text: 'I cannot log in.' }));
    const ticket = await ticketOf(customer);
    const ack = ticket.messages.find((message) => message.purpose === 'acknowledgement')!;
    const boundary = 'report-boundary';
    const report = [
      'From: Mail Delivery System <mailer-daemon@mx.customer.example>',
      `To: ${stack.supportAddress}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${randomBytes(6).toString('hex')}@mx.customer.example>`,
      `In-Reply-To: ${ack.messageId}`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Your message could not be delivered.',
      '',
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.customer.example',
      '',
      `Final-Recipient: rfc822; ${customer}`,
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 mailbox does not exist',
      '',
      'Final-Recipient: rfc822; ada@staff.example',
      'Action: failed',
      'Status: 5.1.1',
      '',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      `From: ${stack.supportAddress}`,
      `To: ${customer}`,
      `Message-ID: ${ack.messageId}`,
      '',
      `--${boundary}--`,
      '',
    ].join('\r\n');

    // Act
    await stack.sendSmtp(report, { from: 'mailer-daemon@mx.customer.example' });

    // Assess: the customer is suppressed (by report), the ticket says so; the address the acknowledgement never went to is not
    expect((await suppressionOf(customer)).body).toMatchObject({ reason: 'dsn', active: true, ticketId: ticket.id, diagnosticCode: 'smtp; 550 5.1.1 mailbox does not exist' });
    expect((await apiOk<TicketView>(stack, `/tickets/${ticket.id}`)).events).toContainEqual(expect.objectContaining({ type: 'delivery-suppressed', actor: 'delivery-report', detail: expect.objectContaining({ address: customer, reason: 'dsn' }) }));
    expect((await suppressionOf('ada@staff.example')).status).toBe(404);
  });

  it('a transient bounce and a delivery notification suppress nothing', async () => {
    // Prepare: SES's own samples, as SNS hands them to the function
    const { readFileSync } = await import('node:fs');
    const sample = (name: string) => readFileSync(new URL(`../fixtures/feedback/${name}`, import.meta.url), 'utf8');
    const event = (message: string) => ({ Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: randomBytes(8).toString('hex'), Message: message } }] });

    // Act
    const transient = (await stack.invokeFeedback(event(sample('identity-bounce-transient.json')))) as { results: Array<{ outcome: string }> };
    const delivery = (await stack.invokeFeedback(event(sample('identity-delivery.json')))) as { results: Array<{ outcome: string }> };

    // Assess
    expect([transient.results[0]?.outcome, delivery.results[0]?.outcome]).toEqual(['not-suppressed', 'not-suppressed']);
    expect((await suppressionOf('jane@example.com')).status).toBe(404);
  });

  it('refuses feedback that is not SES’s with a reason instead of failing', async () => {
    const result = (await stack.invokeFeedback({ Records: [{ Sns: { MessageId: 'garbage', Message: 'not json' } }] })) as { results: Array<{ outcome: string; reason?: string }> };
    expect(result.results).toEqual([{ outcome: 'refused', reason: 'the SNS message is not JSON' }]);
    const notSns = (await stack.invokeFeedback({ hello: 'world' })) as { results: Array<{ outcome: string }> };
    expect(notSns.results[0]?.outcome).toBe('refused');
  });
});
