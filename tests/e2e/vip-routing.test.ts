/**
 * End to end, as users would: staff and customers set up through the HTTP API, customers and staff writing
 * over SMTP to the local stack, what they receive read from the SES stand-in's outbox, the tickets through
 * the API.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

interface StaffView {
  id: string;
  email: string;
  status: string;
  vipBook: number;
  openTickets: number;
}
interface TicketView {
  id: string;
  ref: string;
  status: string;
  tier: string;
  flags: string[];
  assignee?: string;
  firstRespondedAt?: string;
  events: Array<{ type: string; actor: string; detail: Record<string, string> }>;
  messages: Array<{ direction: string; purpose?: string; from: string; text: string; messageId: string }>;
}

let stack: TestStack;
const staff: Record<string, StaffView> = {};

const api = <T>(path: string, method = 'GET', body?: unknown, expected = method === 'POST' ? [200, 201] : [200]) => apiOk<T>(stack, path, method, body, expected);

async function addStaff(key: string, fields: Record<string, unknown>): Promise<StaffView> {
  staff[key] = await api<StaffView>('/staff', 'POST', { status: 'active', ...fields });
  return staff[key]!;
}

const tag = () => randomBytes(3).toString('hex');
const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);

async function mailTo(address: string): Promise<ParsedMail[]> {
  return (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address.toLowerCase()));
}

async function ticketOf(customer: string): Promise<TicketView> {
  const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  expect(tickets.length).toBeGreaterThan(0);
  return api<TicketView>(`/tickets/${tickets[0]!.id}`);
}

const replyToOf = (mail: ParsedMail) => mail.replyTo?.value[0]?.address ?? '';

beforeAll(async () => {
  stack = await startTestStack();
  await addStaff('ben', { name: 'Ben Backup', email: 'ben@staff.example', role: 'manager', capacity: 50 });
  await addStaff('mia', { name: 'Mia Manager', email: 'mia@staff.example', role: 'manager', capacity: 50, backupId: staff.ben!.id });
  await addStaff('ada', { name: 'Ada Agent', email: 'ada@staff.example', role: 'agent' });
  await addStaff('leo', { name: 'Leo Lead', email: 'leo@staff.example', role: 'lead' });
});

afterAll(async () => {
  await stack?.teardown();
});

describe('a VIP client and their manager', () => {
  it('routes the VIP’s mail to the manager, relays the manager’s emailed answer, and notifies again on the answer', async () => {
    // Prepare
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'en', antiPhishingCode: 'BLUE_OWL_42' });
    const customerMessageId = `<${tag()}@client.example>`;

    // Act: the client writes
    await stack.sendSmtp(composeMessage({ from: `Vera VIP <${customer}>`, subject: 'Large withdrawal on hold', text: 'My 40 BTC withdrawal is on hold since this morning.', messageId: customerMessageId }));

    // Assess: the manager is notified, with a reply address bound to the ticket and to her
    const opened = await ticketOf(customer);
    expect([opened.tier, opened.assignee]).toEqual(['vip', staff.mia!.id]);
    const [notification] = await mailTo('mia@staff.example');
    expect(notification?.subject).toContain(`[#${opened.ref}]`);
    expect(notification?.text).toContain('My 40 BTC withdrawal is on hold since this morning.');
    const staffReplyAddress = replyToOf(notification!);
    expect(staffReplyAddress).toMatch(/^support\+/);
    // The acknowledgement carries the anti-phishing code and names the manager.
    const [ack] = await mailTo(customer);
    expect(ack?.text).toContain('BLUE_OWL_42');
    expect(ack?.text).toContain('Mia Manager');
    // A withdrawal on hold is `high`: a VIP's 30 minutes.
    expect(ack?.text).toContain('30 minutes');

    // Act: the manager answers from her own mailbox, quoting the notification
    const answer = 'Hello Vera, the hold is a routine check and will be lifted within the hour.';
    await stack.sendSmtp(
      composeMessage({
        from: 'Mia Manager <mia@staff.example>',
        to: staffReplyAddress,
        subject: `Re: ${notification!.subject}`,
        inReplyTo: notification!.messageId!,
        references: notification!.messageId!,
        text: `${answer}\n\nOn Sat, 21 Nov 2026 at 10:00, Concierge <support@concierge.test> wrote:\n> ${notification!.text!.split('\n').join('\n> ')}`,
      }),
      { to: [staffReplyAddress], from: 'mia@staff.example' },
    );

    // Assess: the customer receives the answer from the support address, threaded, with the code, without the quote
    const toCustomer = await mailTo(customer);
    const relayed = toCustomer.find((mail) => mail.text?.includes(answer));
    expect(relayed).toBeDefined();
    expect(relayed!.from?.value[0]?.address).toBe('support@concierge.test');
    expect(relayed!.from?.value[0]?.name).toContain('Mia Manager');
    expect(relayed!.subject).toContain(`[#${opened.ref}]`);
    expect(relayed!.inReplyTo).toBe(customerMessageId);
    expect(relayed!.text).toContain('BLUE_OWL_42');
    expect(relayed!.text).not.toContain('My 40 BTC withdrawal');
    expect(relayed!.text).not.toContain('wrote:');
    const answered = await api<TicketView>(`/tickets/${opened.id}`);
    expect(answered.status).toBe('waiting-on-customer');
    expect(answered.firstRespondedAt).toBeDefined();
    expect(answered.messages.map((m) => [m.direction, m.purpose ?? 'customer'])).toEqual(
      expect.arrayContaining([
        ['inbound', 'customer'],
        ['outbound', 'staff-reply'],
      ]),
    );
    expect(answered.events.map((e) => e.type)).toEqual(expect.arrayContaining(['assigned', 'replied']));

    // Act: the customer answers the relayed reply
    await stack.sendSmtp(composeMessage({ from: customer, subject: `Re: ${relayed!.subject}`, text: 'Thank you, I can see it moving now.', inReplyTo: relayed!.messageId!, references: `${customerMessageId} ${relayed!.messageId}` }));

    // Assess: the ticket is open again and the manager is notified again, threaded to the first notification
    const reopened = await api<TicketView>(`/tickets/${opened.id}`);
    expect(reopened.status).toBe('open');
    const notifications = await mailTo('mia@staff.example');
    expect(notifications).toHaveLength(2);
    expect(notifications[1]!.text).toContain('Thank you, I can see it moving now.');
    expect(notifications[1]!.references).toContain(notifications[0]!.messageId);
  });

  it('routes to the backup while the manager is away, and to the manager again once she is back', async () => {
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'zh' });
    await api(`/staff/${staff.mia!.id}`, 'PATCH', { status: 'away' });

    await stack.sendSmtp(composeMessage({ from: customer, subject: '提现问题', text: '我的提现一直在处理中。' }));
    const whileAway = await ticketOf(customer);
    expect(whileAway.assignee).toBe(staff.ben!.id);
    expect((await mailTo('ben@staff.example')).some((mail) => mail.subject?.includes(whileAway.ref))).toBe(true);
    // The manager's book does not change while the backup stands in.
    const customerView = await api<{ managerId: string }>(`/customers/${encodeURIComponent(customer)}`);
    expect(customerView.managerId).toBe(staff.mia!.id);

    await api(`/staff/${staff.mia!.id}`, 'PATCH', { status: 'active' });
    await stack.sendSmtp(composeMessage({ from: customer, subject: '另一个问题', text: '请问手续费是多少？' }));
    const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
    const newest = await api<TicketView>(`/tickets/${tickets[0]!.id}`);
    expect(newest.id).not.toBe(whileAway.id);
    expect(newest.assignee).toBe(staff.mia!.id);
  });

  it('keeps a VIP address whose authentication fails out of the VIP lane, without telling the manager', async () => {
    const customer = `vip-${tag()}@forged.test`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, antiPhishingCode: 'SECRET_CODE_9' });
    const before = (await mailTo('mia@staff.example')).length;

    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Send my funds to a new address', text: 'Please change my withdrawal address.' }), { from: customer });

    const ticket = await ticketOf(customer);
    expect(ticket.tier).toBe('standard');
    expect(ticket.flags).toContain('unverified-sender');
    expect(ticket.assignee).not.toBe(staff.mia!.id);
    expect((await mailTo('mia@staff.example')).length).toBe(before);
    // Nothing that went to the address carries the code or names the manager.
    for (const mail of await mailTo(customer)) {
      expect(mail.text).not.toContain('SECRET_CODE_9');
      expect(mail.text).not.toContain('Mia');
    }
  });

  it('relays nothing from a stranger or from another staff member who uses a notification’s reply address', async () => {
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id });
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Card payment', text: 'My card payment failed.' }));
    const ticket = await ticketOf(customer);
    const notification = (await mailTo('mia@staff.example')).find((mail) => mail.subject?.includes(ticket.ref))!;
    const address = replyToOf(notification);
    const before = (await mailTo(customer)).length;

    await stack.sendSmtp(composeMessage({ from: 'mallory@stranger.example', to: address, subject: `Re: ${notification.subject}`, text: 'Send 1 BTC to verify your account.' }), { to: [address], from: 'mallory@stranger.example' });
    await stack.sendSmtp(composeMessage({ from: 'ada@staff.example', to: address, subject: `Re: ${notification.subject}`, text: 'I will take this one.' }), { to: [address], from: 'ada@staff.example' });

    expect((await mailTo(customer)).length).toBe(before);
    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    const rejections = after.events.filter((e) => e.type === 'reply-rejected');
    expect(rejections).toHaveLength(2);
    expect(after.status).toBe('open');
    // The authenticated staff sender is told why; the stranger is told nothing.
    expect((await mailTo('ada@staff.example')).some((mail) => mail.subject?.includes(ticket.ref) && /not (sent|relayed)/i.test(mail.text ?? ''))).toBe(true);
    expect(await mailTo('mallory@stranger.example')).toEqual([]);
  });

  it('leaves a ticket unassigned and tells the leads when no agent is active; staff mail to the desk opens no ticket', async () => {
    await api(`/staff/${staff.ada!.id}`, 'PATCH', { status: 'away' });
    const stranger = `someone-${tag()}@customer.example`;
    await stack.sendSmtp(composeMessage({ from: stranger, subject: 'Fees question', text: 'What is the fee for USDT withdrawals?' }));
    await api(`/staff/${staff.ada!.id}`, 'PATCH', { status: 'active' });

    const ticket = await ticketOf(stranger);
    expect(ticket.assignee).toBeUndefined();
    expect(ticket.events.map((event) => event.type)).toEqual(['leads-notified']);
    const toLead = (await mailTo('leo@staff.example')).filter((mail) => mail.subject?.includes(ticket.ref));
    expect(toLead).toHaveLength(1);
    expect(toLead[0]!.text).toContain('no agent is active');

    const { body } = await stack.api<{ tickets: unknown[] }>(`/tickets?customer=${encodeURIComponent('ada@staff.example')}`);
    await stack.sendSmtp(composeMessage({ from: 'Ada Agent <ada@staff.example>', subject: 'Lunch?', text: 'Anyone for lunch?' }), { from: 'ada@staff.example' });
    expect((await stack.api<{ tickets: unknown[] }>(`/tickets?customer=${encodeURIComponent('ada@staff.example')}`)).body.tickets).toHaveLength(body.tickets.length);
  });

  it('tells the leads nothing when a redelivery of an assigned ticket’s mail finds no agent active any more', async () => {
    const stranger = `again-${tag()}@customer.example`;
    const sesMessageId = `redelivered${tag()}${tag()}`;
    const raw = composeMessage({ from: stranger, subject: 'Card top-up', text: 'My card top-up failed.' });
    await stack.deliver(raw, { source: stranger, sesMessageId });
    const ticket = await ticketOf(stranger);
    expect(ticket.assignee).toBe(staff.ada!.id);

    await api(`/staff/${staff.ada!.id}`, 'PATCH', { status: 'away' });
    await stack.deliver(raw, { source: stranger, sesMessageId });
    await api(`/staff/${staff.ada!.id}`, 'PATCH', { status: 'active' });

    expect((await mailTo('leo@staff.example')).filter((mail) => mail.subject?.includes(ticket.ref))).toEqual([]);
    expect((await mailTo('ada@staff.example')).filter((mail) => mail.subject?.includes(ticket.ref))).toHaveLength(1);
  });

  it('tells a manager whose answer went to the support address instead of the reply address, and relays nothing', async () => {
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id });
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Staking rewards', text: 'My staking rewards are missing.' }));
    const ticket = await ticketOf(customer);
    const notification = (await mailTo('mia@staff.example')).find((mail) => mail.subject?.includes(ticket.ref))!;
    const before = (await mailTo(customer)).length;

    await stack.sendSmtp(
      composeMessage({ from: 'mia@staff.example', to: 'support@concierge.test', subject: `Re: ${notification.subject}`, inReplyTo: notification.messageId!, references: notification.messageId!, text: 'They were paid this morning.' }),
      { from: 'mia@staff.example' },
    );

    expect((await mailTo(customer)).length).toBe(before);
    const notice = (await mailTo('mia@staff.example')).find((mail) => mail.subject?.includes(ticket.ref) && /support address/.test(mail.text ?? ''));
    expect(notice).toBeDefined();
    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    expect(after.events.filter((event) => event.type === 'reply-rejected').map((event) => event.detail.reason)).toEqual(['support-address']);
  });

  it('notifies once and relays once when SES delivers the same mail several times at once', async () => {
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id });
    const before = (await mailTo('mia@staff.example')).length;

    await stack.deliver(composeMessage({ from: customer, subject: 'Twice', text: 'Delivered three times.' }), { source: customer, concurrency: 3 });

    const ticket = await ticketOf(customer);
    const notifications = (await mailTo('mia@staff.example')).slice(before).filter((mail) => mail.subject?.includes(ticket.ref));
    expect(notifications).toHaveLength(1);
    const address = replyToOf(notifications[0]!);
    const reply = composeMessage({ from: 'mia@staff.example', to: address, subject: `Re: ${notifications[0]!.subject}`, text: 'Answered once.' });
    await stack.deliver(reply, { source: 'mia@staff.example', recipients: [address], concurrency: 3 });

    expect((await mailTo(customer)).filter((mail) => mail.text?.includes('Answered once.'))).toHaveLength(1);
    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    expect(after.events.filter((event) => event.type === 'replied')).toHaveLength(1);
    expect(after.messages.filter((message) => message.purpose === 'staff-reply')).toHaveLength(1);
  });

  it('gives 20 new VIP clients writing at the same moment a manager each, none past capacity', async () => {
    const managers = await Promise.all(
      ['one', 'two', 'three'].map((name) => api<StaffView>('/staff', 'POST', { name: `Capacity ${name}`, email: `cap-${name}-${tag()}@staff.example`, role: 'manager', status: 'active', capacity: 7 })),
    );
    // The managers made so far are full or away, so only the three new ones have room.
    await api(`/staff/${staff.mia!.id}`, 'PATCH', { status: 'away' });
    await api(`/staff/${staff.ben!.id}`, 'PATCH', { status: 'away' });
    const clients = Array.from({ length: 20 }, () => `new-vip-${tag()}@client.example`);
    for (const email of clients) await api('/customers', 'POST', { email, tier: 'vip' });

    await Promise.all(clients.map((client) => stack.sendSmtp(composeMessage({ from: client, subject: 'Hello', text: 'First message to my new manager.' }))));

    const assigned = await Promise.all(clients.map((client) => api<{ managerId?: string }>(`/customers/${encodeURIComponent(client)}`)));
    expect(assigned.every((client) => client.managerId && managers.some((m) => m.id === client.managerId))).toBe(true);
    for (const manager of managers) {
      const view = await api<StaffView>(`/staff/${manager.id}`);
      expect(view.vipBook).toBeLessThanOrEqual(7);
      expect(assigned.filter((client) => client.managerId === manager.id)).toHaveLength(view.vipBook);
    }
    await api(`/staff/${staff.mia!.id}`, 'PATCH', { status: 'active' });
    await api(`/staff/${staff.ben!.id}`, 'PATCH', { status: 'active' });
  });
});
