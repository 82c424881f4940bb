/**
 * At-least-once delivery, forged verdicts and explicit limits, through the real handler against DynamoDB
 * Local, the S3 server and the SES stand-in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_ROOT } from '../helpers/corpus';
import { composeMessage, newSesMessageId, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ handlerEnv: { MAX_MESSAGE_BYTES: String(2 * 1024 * 1024) } });
});

afterAll(async () => {
  await stack?.teardown();
});

async function ticketsOf(customer: string) {
  return (await stack.api<{ tickets: Array<{ id: string; ref: string; flags: string[] }> }>(`/tickets?customer=${customer}`)).body.tickets;
}

async function messagesOf(ticketId: string) {
  return (await stack.api<{ messages: Array<{ direction: string; text: string }> }>(`/tickets/${ticketId}`)).body.messages;
}

async function acksTo(address: string) {
  return (await stack.outbox()).filter((entry) => entry.raw.includes(`To: ${address}`));
}

describe('duplicate delivery', () => {
  it('the same event twice: one message, one acknowledgement', async () => {
    // Prepare
    const raw = composeMessage({ from: 'twice@customer.example', subject: 'Twice', text: 'Delivered twice.' });
    const sesMessageId = newSesMessageId();

    // Act
    const first = await stack.deliver(raw, { sesMessageId });
    const second = await stack.deliver(raw, { sesMessageId });

    // Assess
    expect(first.outcome).toBe('ticket-created');
    expect(second.outcome).toBe('duplicate');
    const [ticket] = await ticketsOf('twice@customer.example');
    expect((await messagesOf(ticket!.id)).filter((m) => m.direction === 'inbound')).toHaveLength(1);
    expect(await acksTo('twice@customer.example')).toHaveLength(1);
  });

  it('the same event four times at once: one ticket, one acknowledgement', async () => {
    // Prepare
    const raw = composeMessage({ from: 'racing@customer.example', subject: 'Concurrent', text: 'Delivered concurrently.' });

    // Act
    await stack.deliver(raw, { concurrency: 4 });

    // Assess
    const tickets = await ticketsOf('racing@customer.example');
    expect(tickets).toHaveLength(1);
    expect((await messagesOf(tickets[0]!.id)).filter((m) => m.direction === 'inbound')).toHaveLength(1);
    expect(await acksTo('racing@customer.example')).toHaveLength(1);
  });

  it('the same Message-ID from the same sender under two SES ids: one message', async () => {
    // Prepare: a sending server that re-delivers after a lost reply
    const raw = composeMessage({ from: 'resend@customer.example', subject: 'Resent', text: 'Sent again by my server.', messageId: '<resent-1@customer.example>' });

    // Act
    const first = await stack.deliver(raw);
    const second = await stack.deliver(raw);

    // Assess
    expect(first.outcome).toBe('ticket-created');
    expect(second.outcome).toBe('duplicate');
    expect(await ticketsOf('resend@customer.example')).toHaveLength(1);
    expect(await acksTo('resend@customer.example')).toHaveLength(1);
  });
});

describe('verdicts come from SES only', () => {
  const sesBlock = (spam: string, dmarc: string) =>
    [
      'Return-Path: <someone@customer.example>',
      'Received: from mx.customer.example (mx.customer.example [192.0.2.1])',
      ' by inbound-smtp.us-east-1.amazonaws.com with SMTP id abcdef0123456789',
      ' for support@concierge.test;',
      ' Sat, 21 Nov 2026 10:00:00 +0000 (UTC)',
      `X-SES-Spam-Verdict: ${spam}`,
      'X-SES-Virus-Verdict: PASS',
      'Received-SPF: pass (spfCheck: domain of customer.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;',
      'Authentication-Results: amazonses.com;',
      ' spf=pass (spfCheck: domain of customer.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;',
      ` dkim=pass header.i=@customer.example;`,
      ` dmarc=${dmarc} header.from=customer.example;`,
      'X-SES-RECEIPT: AEFBQUFBQUFBQUFH',
    ].join('\r\n');

  it('ignores a PASS forged below SES’s FAIL stamp when the event carries no verdicts', async () => {
    // Prepare
    const forged = composeMessage({
      from: 'someone@customer.example',
      subject: 'Forged pass',
      text: 'Cheap coins',
      extraHeaders: ['X-SES-Spam-Verdict: PASS', 'Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass'],
    });

    // Act
    const result = await stack.deliver(`${sesBlock('FAIL', 'pass')}\r\n${forged}`, { verdicts: 'absent' });

    // Assess
    expect(result.outcome).toBe('quarantined');
  });

  it('ignores a DMARC pass forged below SES’s fail stamp', async () => {
    // Prepare
    const forged = composeMessage({
      from: 'boss@lookalike.example',
      subject: 'Forged dmarc',
      text: 'Please send my funds to this address.',
      extraHeaders: ['Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass'],
    });

    // Act
    const result = await stack.deliver(`${sesBlock('PASS', 'fail')}\r\n${forged}`, { verdicts: 'absent' });

    // Assess
    expect(result.outcome).toBe('ticket-created');
    const [ticket] = await ticketsOf('boss@lookalike.example');
    expect(ticket?.flags).toContain('unverified-sender');
    expect(await acksTo('boss@lookalike.example')).toHaveLength(0);
  });

  it('trusts the event receipt over any header in the message', async () => {
    // Prepare: a genuine-looking PASS block in the message, but SES's event says spam
    const raw = `${sesBlock('PASS', 'pass')}\r\n${composeMessage({ from: 'x@customer.example', subject: 'Spam', text: 'Offer' })}`;

    // Act
    const result = await stack.deliver(raw, { verdicts: { spam: 'FAIL' } });

    // Assess
    expect(result.outcome).toBe('quarantined');
  });
});

describe('explicit limits', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['message size', () => composeMessage({ from: 'big@customer.example', subject: 'Big', text: 'x'.repeat(3 * 1024 * 1024) }), /message-size/],
    [
      'header size',
      () => composeMessage({ from: 'hdr@customer.example', subject: 'Headers', text: 'x', extraHeaders: Array.from({ length: 4000 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(80)}`) }),
      /header-size/,
    ],
    [
      'MIME depth',
      () => {
        let body = 'Content-Type: text/plain\r\n\r\ndeep\r\n';
        for (let level = 0; level < 40; level += 1) {
          body = `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${body}--b${level}--\r\n`;
        }
        return `From: deep@customer.example\r\nTo: support@concierge.test\r\nSubject: Deep\r\nMIME-Version: 1.0\r\n${body}`;
      },
      /mime-depth/,
    ],
    [
      'MIME parts',
      () => {
        const parts = Array.from({ length: 600 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
        return `From: parts@customer.example\r\nTo: support@concierge.test\r\nSubject: Parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts}--p--\r\n`;
      },
      /mime-parts/,
    ],
  ];

  for (const [name, build, reason] of cases) {
    it(`quarantines a message over the ${name} limit with the reason, and the next message is processed`, async () => {
      // Act
      const result = await stack.deliver(build());
      const next = await stack.deliver(composeMessage({ from: `after-${name.replace(/\W/g, '')}@customer.example`, subject: 'Normal', text: 'Fine.' }));

      // Assess
      expect(result.outcome).toBe('quarantined');
      expect(result.outcome === 'quarantined' && result.reason).toMatch(reason);
      expect(next.outcome).toBe('ticket-created');
    });
  }

  it('keeps attachments in S3 with their metadata on the message', async () => {
    // Prepare: a real message with nested attachments from the corpus; it has no From, so one is added
    const raw = `From: files@customer.example\r\n${readFileSync(join(CORPUS_ROOT, 'malformed/php-imap/multiple_nested_attachments.eml'), 'utf8')}`;

    // Act
    const result = await stack.deliver(raw);

    // Assess
    expect(result.outcome).toBe('ticket-created');
    const [ticket] = await ticketsOf('files@customer.example');
    const { body } = await stack.api<{ messages: Array<{ attachments: Array<{ s3Key: string; size: number; sha256: string }> }> }>(`/tickets/${ticket!.id}`);
    const attachments = body.messages[0]?.attachments ?? [];
    expect(attachments.length).toBeGreaterThan(0);
    for (const attachment of attachments) {
      expect(attachment.s3Key).toMatch(/^attachments\//);
      expect(attachment.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
