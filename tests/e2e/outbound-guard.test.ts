/**
 * The outbound guard on the local stack, driven as staff would drive it: answers by API and by email that ask
 * the customer for a secret or remote access, or name an address that is not a published deposit address, are
 * not sent; the customer receives nothing, the ticket records `reply-blocked` (never the words), the API says
 * why with 422 and the emailed author gets a notice. Warnings and listed addresses go out.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

interface StaffView {
  id: string;
  email: string;
}
interface TicketView {
  id: string;
  ref: string;
  assignee?: string;
  events: Array<{ type: string; key?: string; actor: string; detail: Record<string, string> }>;
  messages: Array<{ direction: string; purpose?: string; text: string }>;
}

const LISTED = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';
const UNLISTED = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';

let stack: TestStack;
let agent: StaffView;

const tag = () => randomBytes(4).toString('hex');
const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const mailTo = async (address: string) => (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address.toLowerCase()));
const ticketView = async (id: string) => (await stack.api<TicketView>(`/tickets/${id}`)).body;
const reply = (ref: string, text: string, key = `guard-${tag()}`) =>
  stack.api<{ error?: string; reason?: string; detail?: string; kinds?: string[]; status?: string }>(`/tickets/${ref}/replies`, {
    method: 'POST',
    body: { staffId: agent.id, text },
    headers: { 'idempotency-key': key },
  });

async function newTicket(customer: string): Promise<TicketView> {
  await stack.sendSmtp(composeMessage({ from: customer, subject: 'Withdrawal stuck', text: 'My withdrawal has been pending since yesterday.' }));
  const { body } = await stack.api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  return ticketView(body.tickets[0]!.id);
}

beforeAll(async () => {
  const folder = mkdtempSync(join(tmpdir(), 'deposit-list-'));
  const depositFile = join(folder, 'deposit-addresses.txt');
  writeFileSync(depositFile, `# the exchange's published deposit addresses\n${LISTED}  # BTC cold wallet\n`);
  stack = await startTestStack({ handlerEnv: { DEPOSIT_ADDRESSES_FILE: depositFile } });
  agent = (await stack.api<StaffView>('/staff', { method: 'POST', body: { name: 'Gus Guarded', email: 'gus@staff.example', role: 'agent', status: 'active' } })).body;
});

afterAll(async () => {
  await stack?.teardown();
});

describe('an answer by API', () => {
  it('asking for the recovery phrase is refused with 422, recorded once without its words, and nothing reaches the customer', async () => {
    // Prepare
    const customer = `seed-${tag()}@customer.example`;
    const ticket = await newTicket(customer);
    const before = (await mailTo(customer)).length;
    const text = 'To finish the check, please reply with your 12-word recovery phrase.';

    // Act: the same request twice (a retry with its Idempotency-Key)
    const refused = await reply(ticket.ref, text, 'guard-seed-once');
    const again = await reply(ticket.ref, text, 'guard-seed-once');

    // Assess
    expect([refused.status, refused.body.reason]).toEqual([422, 'blocked-request']);
    expect(refused.body.error).toMatch(/not sent/);
    expect(refused.body.detail).toContain('recovery phrase');
    expect(refused.body.kinds).toEqual(['recovery-phrase']);
    expect([again.status, again.body.reason]).toEqual([422, 'blocked-request']);
    expect((await mailTo(customer)).length).toBe(before);
    const after = await ticketView(ticket.id);
    const blocked = after.events.filter((event) => event.type === 'reply-blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ actor: agent.id, detail: { reason: 'blocked-request', kinds: 'recovery-phrase', via: 'api' } });
    expect(JSON.stringify(after)).not.toContain('12-word recovery phrase');
    expect(after.messages.filter((message) => message.direction === 'outbound' && message.purpose === 'staff-reply')).toEqual([]);
  });

  it('that only warns is sent', async () => {
    const customer = `warn-${tag()}@customer.example`;
    const ticket = await newTicket(customer);
    const text = 'Your withdrawal is under review. We will never ask for your seed phrase or 2FA code: never share them with anyone.';

    const sent = await reply(ticket.ref, text);

    expect(sent.status).toBe(201);
    expect((await mailTo(customer)).some((mail) => mail.text?.includes('We will never ask for your seed phrase'))).toBe(true);
  });

  it('naming a published deposit address is sent; naming another address is refused, naming it', async () => {
    const customer = `addr-${tag()}@customer.example`;
    const ticket = await newTicket(customer);

    const listed = await reply(ticket.ref, `Our published BTC deposit address is ${LISTED}.`);
    const unlisted = await reply(ticket.ref, `Please use our new BTC address ${UNLISTED} from now on.`);

    expect(listed.status).toBe(201);
    expect((await mailTo(customer)).some((mail) => mail.text?.includes(LISTED))).toBe(true);
    expect([unlisted.status, unlisted.body.reason]).toEqual([422, 'unlisted-address']);
    expect(unlisted.body.detail).toContain(UNLISTED);
    expect((await mailTo(customer)).some((mail) => mail.text?.includes(UNLISTED))).toBe(false);
    expect((await ticketView(ticket.id)).events.filter((event) => event.type === 'reply-blocked').map((event) => event.detail.reason)).toEqual(['unlisted-address']);
  });

  it('through the CLI, says why the answer was refused', async () => {
    const customer = `cli-${tag()}@customer.example`;
    const ticket = await newTicket(customer);

    const run = await runCli(stack.apiUrl, ['tickets', 'reply', ticket.ref, '--staff', agent.id, '--text', 'Please tell me the SMS code you just received.']);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('422: The answer was not sent');
    expect(run.stderr).toContain('it asks the customer for a 2FA, SMS, authenticator or verification code');
  });
});

describe('an answer by email', () => {
  it('asking for an AnyDesk session is not relayed; its author is told why, once, and the ticket records it', async () => {
    // Prepare: the notification the agent answers
    const customer = `remote-${tag()}@customer.example`;
    const ticket = await newTicket(customer);
    expect(ticket.assignee).toBe(agent.id);
    const notification = (await mailTo(agent.email)).find((mail) => mail.subject?.includes(ticket.ref))!;
    const replyAddress = notification.replyTo?.value[0]?.address ?? '';
    const customerMailBefore = (await mailTo(customer)).length;
    const answer = composeMessage({
      from: `Gus Guarded <${agent.email}>`,
      to: replyAddress,
      subject: `Re: ${notification.subject}`,
      inReplyTo: notification.messageId!,
      text: 'Please install AnyDesk and send me the 9-digit ID so I can look at your wallet.',
    });

    // Act: delivered, then delivered again (the sending server retried)
    await stack.sendSmtp(answer, { to: [replyAddress], from: agent.email });
    await stack.sendSmtp(answer, { to: [replyAddress], from: agent.email });

    // Assess
    expect((await mailTo(customer)).length).toBe(customerMailBefore);
    const notices = (await mailTo(agent.email)).filter((mail) => mail.subject === `[#${ticket.ref}] Your reply was not sent`);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('remote access');
    expect(notices[0]!.text).not.toContain('9-digit ID');
    expect(notices[0]!.inReplyTo).toBeDefined();
    const after = await ticketView(ticket.id);
    expect(after.events.filter((event) => event.type === 'reply-blocked')).toEqual([expect.objectContaining({ actor: agent.id, detail: { reason: 'blocked-request', kinds: 'remote-access', via: 'email' } })]);
    expect(after.events.some((event) => event.type === 'reply-rejected')).toBe(false);
    expect(after.messages.filter((message) => message.purpose === 'reply-blocked-notice')).toHaveLength(1);
    expect(after.messages.some((message) => message.purpose === 'staff-reply')).toBe(false);
  });
});
