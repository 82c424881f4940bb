/**
 * Trust, caps, hostile ids and reopening, through the real handler against DynamoDB Local, the S3 server and
 * the SES stand-in.
 */
import { readdirSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketKey } from '../../functions/adapters/dynamodb/keys';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

interface TicketView {
  id: string;
  status: string;
  flags: string[];
  reopenedAt?: string;
  messages: Array<{ direction: string; text: string; messageId: string }>;
}

/** The SES block on top of a stored message, as SES receiving writes it. */
function sesBlock(options: { envelope: string; dkim?: string; dmarc: string; fromDomain: string }): string {
  return [
    `Return-Path: <${options.envelope}>`,
    'Received: from mx.sender.example (mx.sender.example [192.0.2.7])',
    ' by inbound-smtp.us-east-1.amazonaws.com with SMTP id 0123456789abcdef',
    ' for support@concierge.test;',
    ' Sat, 21 Nov 2026 10:00:00 +0000 (UTC)',
    'X-SES-Spam-Verdict: PASS',
    'X-SES-Virus-Verdict: PASS',
    `Received-SPF: pass (spfCheck: domain of ${options.envelope.split('@')[1]} designates 192.0.2.7 as permitted sender) client-ip=192.0.2.7;`,
    'Authentication-Results: amazonses.com;',
    ` spf=pass (spfCheck: domain of ${options.envelope.split('@')[1]} designates 192.0.2.7 as permitted sender) client-ip=192.0.2.7; envelope-from=${options.envelope}; helo=mx.sender.example;`,
    ...(options.dkim ? [` dkim=pass header.i=@${options.dkim};`] : []),
    ` dmarc=${options.dmarc} header.from=${options.fromDomain};`,
    'X-SES-RECEIPT: AEFBQUFBQUFBQUFH',
  ].join('\r\n');
}

// One stack per file: the handlers read their configuration once per process.
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});

describe('a From address is trusted only with authentication aligned to its domain', () => {
  const acksTo = async (address: string) => (await stack.outbox()).filter((entry) => entry.raw.includes(`To: ${address}`));
  const ticketsOf = async (customer: string) => (await stack.api<{ tickets: TicketView[] }>(`/tickets?customer=${encodeURIComponent(customer)}`)).body.tickets;

  it('does not acknowledge a forged From at a domain without DMARC, though SPF and DKIM passed for the forger’s own domain', async () => {
    // Prepare: the forger's server passes SPF and DKIM for evil.example; bank.example publishes no DMARC record
    const raw = `${sesBlock({ envelope: 'bounce@evil.example', dkim: 'evil.example', dmarc: 'none', fromDomain: 'bank.example' })}\r\n${composeMessage({
      from: 'ceo@bank.example',
      subject: 'Please reset my 2FA',
      text: 'Urgent.',
    })}`;

    // Act
    const result = await stack.deliver(raw, { source: 'bounce@evil.example', verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY' } });

    // Assess
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'not-needed' });
    expect(await acksTo('ceo@bank.example')).toHaveLength(0);
    const [ticket] = await ticketsOf('ceo@bank.example');
    expect(ticket?.flags).toContain('unverified-sender');
  });

  it('acknowledges mail from a domain without DMARC when SPF passed for that domain or a subdomain of it', async () => {
    const raw = composeMessage({ from: 'li@small-shop.example', subject: 'Deposit missing', text: 'Hello' });
    const result = await stack.deliver(raw, { source: 'bounces@mail.small-shop.example', verdicts: { spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' } });
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'sent' });
    expect((await ticketsOf('li@small-shop.example'))[0]?.flags).not.toContain('unverified-sender');
  });

  it('acknowledges mail from a domain without DMARC when SES found a valid DKIM signature by that domain', async () => {
    const raw = `${sesBlock({ envelope: 'msprvs1=abc@bulk-relay.example', dkim: 'news.tea-house.example', dmarc: 'none', fromDomain: 'tea-house.example' })}\r\n${composeMessage({
      from: 'owner@tea-house.example',
      subject: 'KYC question',
      text: 'Hello',
    })}`;
    const result = await stack.deliver(raw, { source: 'msprvs1=abc@bulk-relay.example', verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY' } });
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'sent' });
  });

  it('does not let unaligned mail from a party’s address write into the party’s ticket', async () => {
    // Prepare: a ticket opened by properly authenticated mail
    const first = await stack.deliver(composeMessage({ from: 'party@bank.example', subject: 'Withdrawal', text: 'Hi', messageId: '<party-1@bank.example>' }));
    expect(first.outcome).toBe('ticket-created');

    // Act: a forger replies in the thread, From the party, authenticated only for their own domain
    const forged = await stack.deliver(composeMessage({ from: 'party@bank.example', subject: 'Re: Withdrawal', text: 'Send it to my new address', inReplyTo: '<party-1@bank.example>' }), {
      source: 'x@evil.example',
      verdicts: { spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' },
    });

    // Assess: a new, flagged ticket that names the one it referred to
    expect(forged.outcome).toBe('ticket-created');
    const tickets = await ticketsOf('party@bank.example');
    expect(tickets).toHaveLength(2);
    expect(tickets.find((ticket) => ticket.id !== (first.outcome === 'ticket-created' ? first.ticketId : ''))?.flags).toEqual(expect.arrayContaining(['unverified-sender', 'stranger-reference']));
  });
});

describe('hostile ids and addresses are keyed, stored and threaded like any other', () => {
  it('stores mail whose Message-ID, In-Reply-To and References ids are over 2 KB, and threads a reply by such an id', async () => {
    // Prepare
    const longId = `<${'a'.repeat(3_000)}@customer.example>`;
    const longReference = `<${'r'.repeat(2_500)}@elsewhere.example>`;

    // Act
    const first = await stack.deliver(composeMessage({ from: 'long-ids@customer.example', subject: 'Long ids', text: 'First', messageId: longId, references: longReference, inReplyTo: longReference }));
    const reply = await stack.deliver(composeMessage({ from: 'long-ids@customer.example', subject: 'more', text: 'Second', inReplyTo: longId, references: `${longReference} ${longId}` }));

    // Assess: no dead letter, one ticket with both messages
    expect(first.outcome).toBe('ticket-created');
    expect(reply).toMatchObject({ outcome: 'follow-up', ticketId: first.outcome === 'ticket-created' ? first.ticketId : '' });
    expect(readdirSync(stack.deadLetterDir)).toHaveLength(0);
  });

  it('stores mail from an address with a 2,500-character local part, without acknowledging it', async () => {
    const sender = `${'l'.repeat(2_500)}@customer.example`;
    const result = await stack.deliver(composeMessage({ from: sender, subject: 'Long address', text: 'Hello' }), { source: sender });
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'not-needed' });
    const { status, body } = await stack.api<{ tickets: TicketView[] }>(`/tickets?customer=${encodeURIComponent('short@customer.example')}`);
    expect(status).toBe(200);
    expect(body.tickets).toHaveLength(0);
    expect(readdirSync(stack.deadLetterDir)).toHaveLength(0);
  });
});

describe('a follow-up on a closed ticket', () => {
  it('reopens it, so somebody sees it', async () => {
    // Prepare: a ticket that staff closed (no API changes status yet, so the store is written directly)
    const opened = await stack.deliver(composeMessage({ from: 'closed@customer.example', subject: 'Card payment', text: 'Hi', messageId: '<closed-1@customer.example>' }));
    const ticketId = opened.outcome === 'ticket-created' ? opened.ticketId : '';
    const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials }));
    await client.send(new UpdateCommand({ TableName: stack.tableName, Key: ticketKey(ticketId), UpdateExpression: 'SET #status = :closed', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':closed': 'closed' } }));
    client.destroy();

    // Act
    const followUp = await stack.deliver(composeMessage({ from: 'closed@customer.example', subject: 'Re: Card payment', text: 'It happened again.', inReplyTo: '<closed-1@customer.example>' }));

    // Assess
    expect(followUp).toMatchObject({ outcome: 'follow-up', ticketId, reopened: true });
    const { body } = await stack.api<TicketView>(`/tickets/${ticketId}`);
    expect(body.status).toBe('open');
    expect(body.reopenedAt).toEqual(expect.any(String));
  });
});

describe('a From header two readers could read differently', () => {
  it('never acknowledges, nor writes into the named customer’s ticket, over SMTP through the receiver', async () => {
    // Prepare: alice has a ticket opened by properly authenticated mail
    await stack.sendSmtp(composeMessage({ from: 'alice@victim.example', subject: 'My withdrawal', text: 'Hi', messageId: '<alice-1@victim.example>' }), { from: 'alice@victim.example' });
    const aliceTickets = async () => (await stack.api<{ tickets: TicketView[] }>('/tickets?customer=alice%40victim.example')).body.tickets;
    expect(await aliceTickets()).toHaveLength(1);
    const acksToAlice = async () => (await stack.outbox()).filter((entry) => entry.raw.includes('To: alice@victim.example')).length;
    expect(await acksToAlice()).toBe(1);

    // Act: a stranger's server (SPF and DKIM pass for evil.example only) writes three ambiguous From headers
    const forms = [
      ['From: x@evil.example <alice@victim.example>'],
      ['From: x@evil.example', 'From: alice@victim.example'],
      ['From: x@evil.example (alice@victim.example) <alice@victim.example>'],
    ];
    for (const [index, fromLines] of forms.entries()) {
      const raw = [
        ...fromLines,
        'To: support@concierge.test',
        `Subject: Re: My withdrawal ${index}`,
        `Message-ID: <forged-${index}@evil.example>`,
        'In-Reply-To: <alice-1@victim.example>',
        '',
        'Send it to my new wallet instead.',
        '',
      ].join('\r\n');
      await stack.sendSmtp(raw, { from: 'x@evil.example' });
    }

    // Assess: no acknowledgement, nothing in alice's ticket, every forged ticket flagged
    expect(await acksToAlice()).toBe(1);
    const tickets = await aliceTickets();
    const original = tickets.find((ticket) => ticket.flags.length === 0);
    const { body } = await stack.api<TicketView>(`/tickets/${original!.id}`);
    expect(body.messages.filter((message) => message.direction === 'inbound')).toHaveLength(1);
    for (const ticket of tickets.filter((entry) => entry.id !== original!.id)) expect(ticket.flags).toContain('unverified-sender');
  });
});

describe('a forged copy sent first with a customer’s Message-ID', () => {
  it('does not make the customer’s real message a duplicate', async () => {
    // Prepare: the forger guesses the Message-ID the customer's client will use and sends first
    const messageId = '<predictable-42@victim.example>';
    const forged = await stack.deliver(composeMessage({ from: 'carol@victim.example', subject: 'ignore', text: 'forged', messageId }), {
      source: 'x@evil.example',
      verdicts: { spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' },
    });
    expect(forged).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'not-needed' });

    // Act: the real message, properly authenticated
    const real = await stack.deliver(composeMessage({ from: 'carol@victim.example', subject: 'My account was hacked', text: 'Please freeze it.', messageId }));
    const again = await stack.deliver(composeMessage({ from: 'carol@victim.example', subject: 'My account was hacked', text: 'Please freeze it.', messageId }));

    // Assess: its own ticket, acknowledged; a resend of the real one is still a duplicate of it
    expect(real).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'sent' });
    expect(again.outcome).toBe('duplicate');
    const tickets = (await stack.api<{ tickets: TicketView[] }>('/tickets?customer=carol%40victim.example')).body.tickets;
    expect(tickets).toHaveLength(2);
  });
});

describe('a first message DynamoDB would refuse as too large', () => {
  it('is quarantined before any ticket exists: no ticket without its message, no acknowledgement', async () => {
    // Prepare: every part within the parse limits, but together over DynamoDB's 400 KB item limit
    const name = '提'.repeat(255);
    const encodedName = `=?utf-8?b?${Buffer.from(name).toString('base64')}?=`;
    const attachments = Array.from({ length: 250 }, (_, i) => `--b\r\nContent-Type: application/x-${'t'.repeat(186)}\r\nContent-Disposition: attachment; filename="${i}${encodedName}"\r\n\r\nQUJD\r\n`).join('');
    const addresses = (tag: string) => Array.from({ length: 50 }, (_, i) => `${tag}${i}${'a'.repeat(200)}@customer.example`).join(', ');
    const references = Array.from({ length: 20 }, (_, i) => `<${i}${'r'.repeat(960)}@customer.example>`).join(' ');
    const raw = [
      'From: big@customer.example',
      `To: support@concierge.test, ${addresses('to')}`,
      `Cc: ${addresses('cc')}`,
      `Subject: =?utf-8?b?${Buffer.from('提'.repeat(300)).toString('base64')}?=`,
      `References: ${references}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      `--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${'提现'.repeat(16_000)}\r\n${attachments}--b--`,
      '',
    ].join('\r\n');

    // Act
    const result = await stack.deliver(raw, { source: 'big@customer.example' });

    // Assess
    expect(result).toEqual({ outcome: 'quarantined', reason: expect.stringMatching(/^limit item-size/) });
    const { body } = await stack.api<{ tickets: TicketView[] }>('/tickets?customer=big%40customer.example');
    expect(body.tickets).toHaveLength(0);
    expect((await stack.outbox()).filter((entry) => entry.raw.includes('To: big@customer.example'))).toHaveLength(0);
  });
});
