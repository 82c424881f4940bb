/**
 * At-least-once delivery, forged verdicts and explicit limits, through the real handler against DynamoDB
 * Local, the S3 server and the SES stand-in.
 */
import { readFileSync } from 'node:fs';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
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

function storeOf(): DynamoTicketStore {
  const client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
  return new DynamoTicketStore(DynamoDBDocumentClient.from(client), stack.tableName);
}

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

describe('quarantine keeps what it refuses', () => {
  it('records the reason on the receipt, lists it, and keeps the raw message under quarantine/', async () => {
    // Act
    const sesMessageId = newSesMessageId();
    const result = await stack.deliver(composeMessage({ from: 'bad@customer.example', subject: 'Invoice', text: 'x' }), { sesMessageId, verdicts: { virus: 'FAIL' } });

    // Assess
    expect(result).toEqual({ outcome: 'quarantined', reason: expect.stringMatching(/^virus: /) });
    const store = storeOf();
    const receipt = await store.getReceipt(sesMessageId);
    expect(receipt).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^virus/), from: 'bad@customer.example', subject: 'Invoice' });
    const listed = await store.listQuarantined(new Date().toISOString(), 100);
    expect(listed.map((entry) => entry.sesMessageId)).toContain(sesMessageId);
    const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: stack.s3Endpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
    const copy = await s3.send(new HeadObjectCommand({ Bucket: stack.rawMailBucket, Key: `quarantine/${sesMessageId}` }));
    expect(copy.ContentLength).toBeGreaterThan(0);
    s3.destroy();
  });
});

describe('who gets an acknowledgement', () => {
  it('nobody when SES gave no verdicts at all: the ticket opens flagged', async () => {
    // Act: no verdicts in the event and no SES block in the message
    const result = await stack.deliver(composeMessage({ from: 'nobody-knows@customer.example', subject: 'Hi', text: 'Hello' }), { verdicts: 'absent' });

    // Assess
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'not-needed' });
    const [ticket] = await ticketsOf('nobody-knows@customer.example');
    expect(ticket?.flags).toContain('unverified-sender');
  });

  it('nobody when the spam scan was not a PASS', async () => {
    const result = await stack.deliver(composeMessage({ from: 'gray@customer.example', subject: 'Hi', text: 'Hello' }), { verdicts: { spam: 'GRAY' } });
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'not-needed' });
  });
});

describe('a stranger disguised as machine mail', () => {
  it('cannot write into a ticket by adding Auto-Submitted to a reply', async () => {
    // Prepare: a customer's ticket
    const customerMessageId = '<victim-1@customer.example>';
    await stack.deliver(composeMessage({ from: 'victim@customer.example', subject: 'My account', text: 'Help', messageId: customerMessageId }));
    const [ticket] = await ticketsOf('victim@customer.example');

    // Act
    const result = await stack.deliver(
      composeMessage({ from: 'mallory@evil.example', subject: 'Re: My account', text: 'Change my email to mallory@evil.example', inReplyTo: customerMessageId, extraHeaders: ['Auto-Submitted: auto-replied'] }),
      { verdicts: { dmarc: 'FAIL', spf: 'FAIL', dkim: 'FAIL' } },
    );

    // Assess
    expect(result.outcome).toBe('discarded');
    expect((await messagesOf(ticket!.id)).filter((m) => m.direction === 'inbound')).toHaveLength(1);
  });
});

describe('records that would not fit DynamoDB', () => {
  it('stores a message with hundreds of very long attachment names, names cut, instead of failing', async () => {
    // Prepare: 200 attachments, each named with 2,000 characters
    const parts = Array.from(
      { length: 200 },
      (_, i) => `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${String(i).padStart(4, '0')}${'n'.repeat(2000)}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n`,
    ).join('');
    const raw = `From: names@customer.example\r\nTo: support@concierge.test\r\nSubject: Files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee files\r\n${parts}--b--\r\n`;

    // Act
    const result = await stack.deliver(raw);

    // Assess
    expect(result.outcome).toBe('ticket-created');
    const [ticket] = await ticketsOf('names@customer.example');
    const { body } = await stack.api<{ messages: Array<{ attachments: Array<{ filename: string }> }> }>(`/tickets/${ticket!.id}`);
    const attachments = body.messages[0]?.attachments ?? [];
    expect(attachments).toHaveLength(200);
    expect(Math.max(...attachments.map((a) => a.filename.length))).toBeLessThanOrEqual(255);
  });
});
