/**
 * End to end: a staff member's emailed answer delivered again — under the same SES id (an at-least-once retry)
 * or under another one (the sending server retried after a lost reply) — and the open-ticket counters through
 * a close, reopen and reassign sequence.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, composeMessage, newSesMessageId, startTestStack, type TestStack } from '../helpers/local-stack';

interface StaffView {
  id: string;
  email: string;
  openTickets: number;
}
interface TicketView {
  id: string;
  ref: string;
  status: string;
  assignee?: string;
  events: Array<{ type: string }>;
  messages: Array<{ purpose?: string }>;
}

let stack: TestStack;
let agent: StaffView;
let other: StaffView;

const api = <T>(path: string, method = 'GET', body?: unknown) => apiOk<T>(stack, path, method, body);

const tag = () => randomBytes(3).toString('hex');
const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const mailTo = async (address: string) => (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address));

async function openTicketFor(customer: string): Promise<{ ticket: TicketView; replyAddress: string; notification: ParsedMail }> {
  await stack.deliver(composeMessage({ from: customer, subject: 'Deposit missing', text: 'My deposit has not arrived.' }), { source: customer });
  const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  const ticket = await api<TicketView>(`/tickets/${tickets[0]!.id}`);
  const notification = (await mailTo(agent.email)).find((mail) => mail.subject?.includes(ticket.ref))!;
  return { ticket, replyAddress: notification.replyTo!.value[0]!.address!, notification };
}

beforeAll(async () => {
  stack = await startTestStack();
  agent = await api<StaffView>('/staff', 'POST', { name: 'Ann Agent', email: 'ann@staff.example', role: 'agent', status: 'active' });
  other = await api<StaffView>('/staff', 'POST', { name: 'Otto Agent', email: 'otto@staff.example', role: 'agent', status: 'away' });
});

afterAll(async () => {
  await stack?.teardown();
});

describe('a staff answer delivered again', () => {
  it('leaves the ticket open when the answer is redelivered after the customer wrote back', async () => {
    const customer = `c-${tag()}@client.example`;
    const { ticket, replyAddress, notification } = await openTicketFor(customer);
    const reply = composeMessage({ from: agent.email, to: replyAddress, subject: `Re: ${notification.subject}`, text: 'It is on its way.' });
    const sesMessageId = newSesMessageId();
    await stack.deliver(reply, { sesMessageId, source: agent.email, recipients: [replyAddress] });
    const relayed = (await mailTo(customer)).find((mail) => mail.text?.includes('It is on its way.'))!;
    await stack.deliver(composeMessage({ from: customer, subject: `Re: ${relayed.subject}`, text: 'Still nothing here.', inReplyTo: relayed.messageId! }), { source: customer });
    expect((await api<TicketView>(`/tickets/${ticket.id}`)).status).toBe('open');

    await stack.deliver(reply, { sesMessageId, source: agent.email, recipients: [replyAddress] });

    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    expect(after.status).toBe('open');
    expect((await mailTo(customer)).filter((mail) => mail.text?.includes('It is on its way.'))).toHaveLength(1);
  });

  it('relays once when the same answer arrives under another SES id', async () => {
    const customer = `c-${tag()}@client.example`;
    const { ticket, replyAddress, notification } = await openTicketFor(customer);
    const reply = composeMessage({ from: agent.email, to: replyAddress, subject: `Re: ${notification.subject}`, text: 'Relayed exactly once.', messageId: `<${tag()}@staff.example>` });

    await stack.deliver(reply, { source: agent.email, recipients: [replyAddress] });
    await stack.deliver(reply, { source: agent.email, recipients: [replyAddress] });

    expect((await mailTo(customer)).filter((mail) => mail.text?.includes('Relayed exactly once.'))).toHaveLength(1);
    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    expect(after.messages.filter((message) => message.purpose === 'staff-reply')).toHaveLength(1);
  });
});

describe('an answer sent several times at once', () => {
  it('relays once when API retries with the same Idempotency-Key race each other', async () => {
    const customer = `c-${tag()}@client.example`;
    const { ticket } = await openTicketFor(customer);
    const key = `retry-${tag()}-${tag()}`;

    await Promise.all(
      Array.from({ length: 4 }, () => stack.api(`/tickets/${ticket.id}/replies`, { method: 'POST', body: { staffId: agent.id, text: 'Raced once.' }, headers: { 'idempotency-key': key } })),
    );

    expect((await mailTo(customer)).filter((mail) => mail.text?.includes('Raced once.'))).toHaveLength(1);
  });

  it('relays once when the same emailed answer arrives under two SES ids at once', async () => {
    const customer = `c-${tag()}@client.example`;
    const { replyAddress, notification } = await openTicketFor(customer);
    const reply = composeMessage({ from: agent.email, to: replyAddress, subject: `Re: ${notification.subject}`, text: 'Twice at once, relayed once.', messageId: `<${tag()}@staff.example>` });

    await Promise.all([0, 1, 2].map(() => stack.deliver(reply, { source: agent.email, recipients: [replyAddress] })));

    expect((await mailTo(customer)).filter((mail) => mail.text?.includes('Twice at once, relayed once.'))).toHaveLength(1);
  });
});

describe('a member of staff the customer copied', () => {
  it('writing to the desk on the thread neither reopens the ticket nor notifies as if the customer wrote', async () => {
    const customer = `c-${tag()}@client.example`;
    const first = composeMessage({ from: customer, cc: other.email, subject: 'Copying my contact', text: 'Copying Otto, who knows my account.', messageId: `<${tag()}@client.example>` });
    await stack.deliver(first, { source: customer });
    const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
    const ticket = await api<TicketView>(`/tickets/${tickets[0]!.id}`);
    await api(`/tickets/${ticket.id}/replies`, 'POST', { staffId: agent.id, text: 'We are on it.' });
    const notifiedBefore = (await mailTo(agent.email)).length;

    const firstId = /Message-ID: (.*)/.exec(first)![1]!.trim();
    await stack.deliver(composeMessage({ from: other.email, to: customer, cc: 'support@concierge.test', subject: 'Re: Copying my contact', text: 'Internal: I will call them.', inReplyTo: firstId }), { source: other.email });

    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    expect(after.status).toBe('waiting-on-customer');
    expect((await mailTo(agent.email)).length).toBe(notifiedBefore);
  });
});

describe('a reply address nobody was given', () => {
  it('writes nothing into the ticket it names when its signature does not verify', async () => {
    const customer = `c-${tag()}@client.example`;
    const { ticket } = await openTicketFor(customer);
    const before = await api<TicketView>(`/tickets/${ticket.id}`);
    const forged = `support+${ticket.ref.toLowerCase()}.${agent.id}.${'a'.repeat(20)}@concierge.test`;

    for (const from of ['mallory@stranger.example', agent.email]) {
      await stack.deliver(composeMessage({ from, to: forged, subject: `Re: [#${ticket.ref}]`, text: 'Send 1 BTC to verify your account.' }), { source: from, recipients: [forged], verdicts: { dmarc: 'FAIL', spf: 'FAIL', dkim: 'FAIL' } });
    }

    const after = await api<TicketView>(`/tickets/${ticket.id}`);
    expect(after.events).toHaveLength(before.events.length);
    expect((await mailTo(customer)).filter((mail) => mail.text?.includes('Send 1 BTC'))).toEqual([]);
  });
});

describe('open-ticket counters', () => {
  it('count only the tickets assigned and not closed through close, reopen by mail and reassignment', async () => {
    await api(`/staff/${other.id}`, 'PATCH', { status: 'active' });
    const countOf = async (id: string) => (await api<StaffView>(`/staff/${id}`)).openTickets;
    const expected = async (id: string) => (await api<{ tickets: Array<{ status: string }> }>(`/tickets?assignee=${id}&limit=100`)).tickets.filter((t) => t.status !== 'closed').length;
    const customer = `c-${tag()}@client.example`;
    await api(`/staff/${other.id}`, 'PATCH', { status: 'away' });
    const { ticket } = await openTicketFor(customer);

    await api(`/tickets/${ticket.id}`, 'PATCH', { status: 'closed' });
    await stack.deliver(composeMessage({ from: customer, subject: `Re: [#${ticket.ref}] Deposit missing`, text: 'Not solved.' }), { source: customer });
    await api(`/tickets/${ticket.id}`, 'PATCH', { assignee: other.id, status: 'closed' });
    await api(`/tickets/${ticket.id}`, 'PATCH', { status: 'open', assignee: agent.id });
    await api(`/tickets/${ticket.id}`, 'PATCH', { status: 'waiting-on-customer' });

    expect(await countOf(agent.id)).toBe(await expected(agent.id));
    expect(await countOf(other.id)).toBe(await expected(other.id));
  });
});
