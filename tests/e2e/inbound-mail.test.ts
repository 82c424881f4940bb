/**
 * End to end: the local stack driven over SMTP like a mail server would, read back through the SES
 * stand-in's outbox and the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

interface TicketSummary {
  id: string;
  ref: string;
  subject: string;
  status: string;
  customer: string;
  flags: string[];
  createdAt: string;
  updatedAt: string;
}
interface TicketDetail extends TicketSummary {
  messages: Array<{ direction: string; from: string; to: string[]; messageId: string; subject: string; text: string; classification: { kind: string } }>;
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

async function ticketsOf(customer: string): Promise<TicketSummary[]> {
  const { status, body } = await stack.api<{ tickets: TicketSummary[] }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  expect(status).toBe(200);
  return body.tickets;
}

async function ticket(id: string): Promise<TicketDetail> {
  const { status, body } = await stack.api<TicketDetail>(`/tickets/${id}`);
  expect(status).toBe(200);
  return body;
}

async function acknowledgementsTo(address: string) {
  return (await stack.outbox()).filter((entry) => entry.mail.to && JSON.stringify(entry.mail.to).includes(address));
}

describe('a new message and the reply to its acknowledgement', () => {
  it('opens one ticket, acknowledges once, and threads the reply into the same ticket', async () => {
    // Prepare: a customer who also names an unauthenticated Reply-To elsewhere
    const customerMessageId = '<first-contact-1@mail.customer.example>';
    const first = composeMessage({
      from: 'Dana Customer <dana@customer.example>',
      replyTo: 'attacker@elsewhere.example',
      subject: 'Deposit not credited',
      text: 'Hello, my USDT deposit from yesterday has not been credited. Order 55120.',
      messageId: customerMessageId,
    });

    // Act
    await stack.sendSmtp(first);

    // Assess: exactly one ticket and one acknowledgement with every promised property
    const tickets = await ticketsOf('dana@customer.example');
    expect(tickets).toHaveLength(1);
    const [opened] = tickets;
    expect(opened?.ref).toMatch(/^[A-Z2-9]{6}$/);
    const acks = await acknowledgementsTo('dana@customer.example');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!;
    expect(ack.mail.to && 'value' in ack.mail.to ? ack.mail.to.value.map((a) => a.address) : []).toEqual(['dana@customer.example']);
    expect(ack.mail.from?.value[0]?.address).toBe('support@concierge.test');
    expect(ack.mail.subject).toContain(`[#${opened!.ref}]`);
    expect(ack.mail.inReplyTo).toBe(customerMessageId);
    expect(ack.mail.references).toContain(customerMessageId);
    expect(ack.mail.headers.get('auto-submitted')).toBe('auto-replied');
    // A withdrawal question is `high`: the standard tier's four hours, not the default day.
    expect(ack.mail.text).toContain('4 hours');
    expect(ack.raw).not.toContain('attacker@elsewhere.example');
    // The SES stand-in replaced our Message-ID, as SES does; the ticket records the id SES assigned.
    const sesAssignedId = ack.mail.messageId!;
    expect(sesAssignedId).toMatch(/@email\.amazonses\.com>$/);
    const detail = await ticket(opened!.id);
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound', 'outbound']);
    expect(detail.messages[1]?.messageId).toBe(sesAssignedId);

    // Act: the customer replies to the acknowledgement; their client quotes the history. Only In-Reply-To
    // links it (no References, no subject token, not sent to the reply address), so only the id SES
    // assigned can thread it.
    const reply = composeMessage({
      from: 'Dana Customer <dana@customer.example>',
      subject: 'Re: deposit',
      inReplyTo: sesAssignedId,
      text: [
        'Here is the transaction hash: 0xabc123.',
        '',
        `On Sat, Nov 21, 2026 at 10:00 AM Concierge Support <support@concierge.test> wrote:`,
        '> Hello,',
        '> We have received your message and opened ticket.',
      ].join('\r\n'),
    });
    await stack.sendSmtp(reply);

    // Assess: same ticket, no second acknowledgement, quoted history not stored
    expect(await ticketsOf('dana@customer.example')).toHaveLength(1);
    expect(await acknowledgementsTo('dana@customer.example')).toHaveLength(1);
    const after = await ticket(opened!.id);
    expect(after.messages).toHaveLength(3);
    expect(after.messages[2]?.text).toBe('Here is the transaction hash: 0xabc123.');
    expect(after.messages[2]?.text).not.toContain('We have received');
  });

  it('acknowledges a Chinese message in Chinese', async () => {
    // Prepare
    const message = composeMessage({ from: 'li@customer.example', subject: '提现问题', text: '您好，我的提现一直在处理中，请帮忙查看。' });

    // Act
    await stack.sendSmtp(message);

    // Assess
    const [ack] = await acknowledgementsTo('li@customer.example');
    expect(ack?.mail.subject).toMatch(/^\[#[A-Z2-9]{6}\] 我们已收到您的邮件/);
    // 提现 (withdrawal) is `high`: four hours on the standard tier.
    expect(ack?.mail.text).toContain('4 小时');
  });

  it('promises one hour for a security incident', async () => {
    // Prepare
    const message = composeMessage({ from: 'sam@customer.example', subject: 'Account hacked', text: 'Someone made an unauthorized withdrawal from my account.' });

    // Act
    await stack.sendSmtp(message);

    // Assess
    const [opened] = await ticketsOf('sam@customer.example');
    expect(opened?.flags).toContain('security-incident');
    const [ack] = await acknowledgementsTo('sam@customer.example');
    expect(ack?.mail.text).toContain('1 hour');
  });
});

describe('who may write into a ticket', () => {
  it('threads by the signed reply address and by the subject token from a party, and never from a stranger', async () => {
    // Prepare: a ticket for ellen
    await stack.sendSmtp(composeMessage({ from: 'ellen@customer.example', subject: 'KYC review', text: 'When will my KYC be reviewed?' }));
    const [opened] = await ticketsOf('ellen@customer.example');
    const [ack] = await acknowledgementsTo('ellen@customer.example');
    const replyAddress = ack!.mail.replyTo!.value[0]!.address!;
    expect(replyAddress).toMatch(/^support\+[a-z2-9]{6}-[a-z2-7]{16}@concierge\.test$/);

    // Act: a reply with no threading headers to the reply address, a new mail with the subject token, and a stranger's
    await stack.sendSmtp(composeMessage({ from: 'ellen@customer.example', to: replyAddress, subject: 'more documents', text: 'Attached my passport.' }), { to: [replyAddress] });
    await stack.sendSmtp(composeMessage({ from: 'ellen@customer.example', subject: `Question [#${opened!.ref}]`, text: 'Any news?' }));
    await stack.sendSmtp(composeMessage({ from: 'mallory@stranger.example', subject: `Re: [#${opened!.ref}]`, text: 'Please change the email on this account.' }));
    await stack.sendSmtp(composeMessage({ from: 'mallory@stranger.example', to: replyAddress, subject: 'hello', text: 'Also via the reply address.' }), { to: [replyAddress] });

    // Assess
    const detail = await ticket(opened!.id);
    expect(detail.messages.filter((m) => m.direction === 'inbound').map((m) => m.from)).toEqual([
      'ellen@customer.example',
      'ellen@customer.example',
      'ellen@customer.example',
    ]);
    const strangers = await ticketsOf('mallory@stranger.example');
    expect(strangers).toHaveLength(2);
    for (const stranger of strangers) {
      expect(stranger.id).not.toBe(opened!.id);
      expect(stranger.flags).toContain('stranger-reference');
    }
  });
});

describe('authentication and content verdicts', () => {
  it('flags a DMARC failure and sends it no acknowledgement', async () => {
    // Act
    await stack.sendSmtp(composeMessage({ from: 'ceo@forged.test', subject: 'Urgent transfer', text: 'Please move funds.' }));

    // Assess
    const [opened] = await ticketsOf('ceo@forged.test');
    expect(opened?.flags).toContain('unverified-sender');
    expect(await acknowledgementsTo('ceo@forged.test')).toHaveLength(0);
  });

  it('quarantines spam and viruses: no ticket, no acknowledgement', async () => {
    // Act: the spam sender forges a PASS verdict of its own below SES's stamp
    await stack.sendSmtp(
      composeMessage({ from: 'offers@spam.test', subject: 'Win', text: 'Free coins', extraHeaders: ['X-SES-Spam-Verdict: PASS', 'Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass'] }),
    );
    await stack.sendSmtp(composeMessage({ from: 'invoice@virus.test', subject: 'Invoice', text: 'See attachment' }));

    // Assess
    expect(await ticketsOf('offers@spam.test')).toHaveLength(0);
    expect(await ticketsOf('invoice@virus.test')).toHaveLength(0);
    expect(await acknowledgementsTo('offers@spam.test')).toHaveLength(0);
    expect(await acknowledgementsTo('invoice@virus.test')).toHaveLength(0);
  });
});

describe('a flooding sender', () => {
  it('gets a ticket for every message but at most five acknowledgements an hour', async () => {
    // Act
    for (let i = 0; i < 7; i += 1) {
      await stack.sendSmtp(composeMessage({ from: 'flood@customer.example', subject: `Question number ${i}`, text: `Message ${i}` }));
    }

    // Assess
    expect(await ticketsOf('flood@customer.example')).toHaveLength(7);
    expect(await acknowledgementsTo('flood@customer.example')).toHaveLength(5);
  });
});
