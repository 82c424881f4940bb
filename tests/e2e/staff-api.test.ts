/**
 * Staff at work through the HTTP API and the CLI against the local stack: the least-loaded agent gets a new
 * ticket, answers it by API (once per idempotency key), a colleague who is not the assignee is refused, the
 * ticket is closed, reassigned and listed by assignee, and the open-ticket counts follow every change.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';


interface StaffView {
  id: string;
  openTickets: number;
}
interface TicketView {
  id: string;
  ref: string;
  status: string;
  assignee?: string;
  firstRespondedAt?: string;
  events: Array<{ type: string; actor: string; detail: Record<string, string> }>;
  messages: Array<{ direction: string; purpose?: string; text: string }>;
}

let stack: TestStack;
let ada: StaffView;
let bob: StaffView;

async function api<T>(path: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) {
  return stack.api<T>(path, { method, ...(body !== undefined ? { body } : {}), headers });
}

const cli = (args: string[]) => runCli(stack.apiUrl, args);

const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const mailTo = async (address: string) => (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address));
const openTicketsOf = async (id: string) => (await api<StaffView>(`/staff/${id}`)).body.openTickets;

async function newTicket(customer: string, text: string): Promise<TicketView> {
  await stack.sendSmtp(composeMessage({ from: customer, subject: 'Deposit missing', text }));
  const { body } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  return (await api<TicketView>(`/tickets/${body.tickets[0]!.id}`)).body;
}

beforeAll(async () => {
  stack = await startTestStack();
  ada = (await api<StaffView>('/staff', 'POST', { name: 'Ada Agent', email: 'ada@staff.example', role: 'agent', status: 'active' })).body;
  bob = (await api<StaffView>('/staff', 'POST', { name: 'Bob Agent', email: 'bob@staff.example', role: 'agent', status: 'active' })).body;
});

afterAll(async () => {
  await stack?.teardown();
});

describe('staff through the API', () => {
  it('assigns new tickets to the least-loaded agent, the earliest-assigned first among equals', async () => {
    const first = await newTicket(`c1-${randomBytes(3).toString('hex')}@customer.example`, 'First.');
    const second = await newTicket(`c2-${randomBytes(3).toString('hex')}@customer.example`, 'Second.');
    expect(new Set([first.assignee, second.assignee])).toEqual(new Set([ada.id, bob.id]));
    expect([await openTicketsOf(ada.id), await openTicketsOf(bob.id)]).toEqual([1, 1]);
    expect(first.events).toEqual([expect.objectContaining({ type: 'assigned', actor: 'routing', detail: expect.objectContaining({ to: first.assignee }) })]);
    // Each is notified of their own ticket.
    const assigneeEmail = first.assignee === ada.id ? 'ada@staff.example' : 'bob@staff.example';
    expect((await mailTo(assigneeEmail)).some((mail) => mail.subject?.includes(first.ref) && mail.text?.includes('First.'))).toBe(true);
  });

  it('relays an answer once per idempotency key, refuses a colleague who is not the assignee, and records both', async () => {
    const customer = `c3-${randomBytes(3).toString('hex')}@customer.example`;
    const ticket = await newTicket(customer, 'Where is my deposit?');
    const assignee = ticket.assignee === ada.id ? ada : bob;
    const colleague = assignee === ada ? bob : ada;
    const key = `test-${randomBytes(6).toString('hex')}`;

    const sent = await api<{ status: string }>(`/tickets/${ticket.ref}/replies`, 'POST', { staffId: assignee.id, text: 'It arrived an hour ago.' }, { 'idempotency-key': key });
    const again = await api<{ status: string; repeated?: boolean }>(`/tickets/${ticket.ref}/replies`, 'POST', { staffId: assignee.id, text: 'It arrived an hour ago.' }, { 'idempotency-key': key });
    const refused = await api<{ error: string; reason: string }>(`/tickets/${ticket.ref}/replies`, 'POST', { staffId: colleague.id, text: 'Me too.' });

    expect([sent.status, again.status, again.body.repeated]).toEqual([201, 200, true]);
    expect([refused.status, refused.body.reason]).toEqual([409, 'not-assignee']);
    const answers = (await mailTo(customer)).filter((mail) => mail.text?.includes('It arrived an hour ago.'));
    expect(answers).toHaveLength(1);
    expect((await mailTo(customer)).some((mail) => mail.text?.includes('Me too.'))).toBe(false);
    const after = (await api<TicketView>(`/tickets/${ticket.ref}`)).body;
    expect(after.status).toBe('waiting-on-customer');
    expect(after.firstRespondedAt).toBeDefined();
    expect(after.events.map((event) => event.type)).toEqual(['assigned', 'replied', 'reply-rejected']);
    expect(after.messages.filter((message) => message.purpose === 'staff-reply')).toHaveLength(1);
  });

  it('answers a bad request with 400 naming the field, and an unknown ticket with 404', async () => {
    const ticket = await newTicket(`c4-${randomBytes(3).toString('hex')}@customer.example`, 'Hello.');
    const noText = await api<{ error: string }>(`/tickets/${ticket.ref}/replies`, 'POST', { staffId: ada.id, text: '' });
    const badStaff = await api<{ error: string }>(`/tickets/${ticket.ref}/replies`, 'POST', { staffId: 'st-zzzzzzzz', text: 'Hi' });
    const unknownField = await api<{ error: string }>(`/tickets/${ticket.ref}`, 'PATCH', { status: 'closed', colour: 'red' });
    const badStatus = await api<{ error: string }>(`/tickets/${ticket.ref}`, 'PATCH', { status: 'done' });
    const missing = await api<{ error: string }>('/tickets/ZZZZZZ/replies', 'POST', { staffId: ada.id, text: 'Hi' });
    expect([noText.status, noText.body.error]).toEqual([400, expect.stringContaining('text')]);
    expect([badStaff.status, badStaff.body.error]).toEqual([400, expect.stringContaining('staffId')]);
    expect([unknownField.status, unknownField.body.error]).toEqual([400, expect.stringContaining('colour')]);
    expect([badStatus.status, badStatus.body.error]).toEqual([400, expect.stringContaining('status')]);
    expect(missing.status).toBe(404);
  });

  it('closing, reassigning and reopening move the open-ticket counts, and the ticket is listed under its assignee', async () => {
    const customer = `c5-${randomBytes(3).toString('hex')}@customer.example`;
    const ticket = await newTicket(customer, 'Please check.');
    const assignee = ticket.assignee === ada.id ? ada : bob;
    const other = assignee === ada ? bob : ada;
    const before = { [ada.id]: await openTicketsOf(ada.id), [bob.id]: await openTicketsOf(bob.id) };

    expect((await api(`/tickets/${ticket.ref}`, 'PATCH', { status: 'closed' })).status).toBe(200);
    expect(await openTicketsOf(assignee.id)).toBe(before[assignee.id]! - 1);

    // Through the CLI, as staff would: reassign while closed (nobody's count moves), then a customer's mail reopens it.
    const moved = await cli(['tickets', 'update', ticket.ref, '--assignee', other.id]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`assigned to ${other.id}`);
    expect([await openTicketsOf(assignee.id), await openTicketsOf(other.id)]).toEqual([before[assignee.id]! - 1, before[other.id]!]);

    await stack.sendSmtp(composeMessage({ from: customer, subject: `Re: [#${ticket.ref}] Deposit missing`, text: 'Still not there.' }));
    const reopened = (await api<TicketView>(`/tickets/${ticket.ref}`)).body;
    expect([reopened.status, reopened.assignee]).toEqual(['open', other.id]);
    expect(await openTicketsOf(other.id)).toBe(before[other.id]! + 1);
    const listed = (await api<{ tickets: Array<{ id: string }> }>(`/tickets?assignee=${other.id}`)).body.tickets.map((t) => t.id);
    expect(listed).toContain(ticket.id);
    expect((await api<{ tickets: Array<{ id: string }> }>(`/tickets?assignee=${assignee.id}`)).body.tickets.map((t) => t.id)).not.toContain(ticket.id);
    expect(reopened.events.map((event) => event.type)).toEqual(['assigned', 'status-changed', 'reassigned']);
  });

  it('answers through the CLI with the text from a file or the command line', async () => {
    const customer = `c6-${randomBytes(3).toString('hex')}@customer.example`;
    const ticket = await newTicket(customer, 'CLI please.');
    const replied = await cli(['tickets', 'reply', ticket.ref, '--staff', ticket.assignee!, '--text', 'Answered from the terminal.']);
    expect(replied.code, replied.stderr).toBe(0);
    expect(replied.stdout).toContain('Sent to the customer');
    expect((await mailTo(customer)).some((mail) => mail.text?.includes('Answered from the terminal.'))).toBe(true);
    const both = await cli(['tickets', 'reply', ticket.ref, '--staff', ticket.assignee!]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--text or --file');
  });
});
