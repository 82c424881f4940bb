/**
 * Secrets at ingest against mail as real clients and adversaries write it: HTML-only mail, quoted history,
 * forwarded messages, files in other encodings, mail quarantined as spam, mail to a staff reply address, and
 * the same delivery run twice at once. Wherever the desk keeps or sends anything, the secret must not be there;
 * the raw original is kept only under the sensitive prefix.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { generateMnemonic } from '@scure/bip39';
import { wordlist as englishWords } from '@scure/bip39/wordlists/english.js';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, composeMessage, newSesMessageId, startTestStack, type TestStack } from '../helpers/local-stack';
import { s3ClientFor, storedItemsJson, storedObjects as storedObjectsOf } from '../helpers/stored-everything';

let stack: TestStack;
let s3: S3Client;
const api = <T>(path: string, method = 'GET', body?: unknown) => apiOk<T>(stack, path, method, body);
const tag = () => randomBytes(3).toString('hex');
const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const storedObjects = () => storedObjectsOf(stack, s3);
const storedItems = () => storedItemsJson(stack);
const mailTo = async (address: string) => (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address.toLowerCase()));

interface TicketView {
  id: string;
  flags: string[];
  messages: Array<{ direction: string; purpose?: string; text: string; subject: string; redacted?: string[]; attachments: Array<{ s3Key: string; filename: string; redacted?: string[] }> }>;
}

async function ticketsOf(customer: string): Promise<TicketView[]> {
  const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  return Promise.all(tickets.map((ticket) => api<TicketView>(`/tickets/${ticket.id}`)));
}

/** The S3 keys whose object holds `secret` as written or in any of the given encodings. */
async function keysHolding(secret: string, encodings: readonly string[] = []): Promise<string[]> {
  const forms = [secret, ...encodings];
  return [...(await storedObjects())].filter(([, content]) => forms.some((form) => content.includes(form) || content.toString('utf8').includes(form))).map(([key]) => key);
}

/** Nothing the desk keeps in DynamoDB or sends holds `secret`; in S3 only the sensitive prefix does. */
async function expectKeptOnlyUnderSensitivePrefix(secret: string, sesMessageId: string, encodings: readonly string[] = []): Promise<void> {
  expect(await storedItems()).not.toContain(secret);
  for (const entry of await stack.outbox()) expect(entry.raw).not.toContain(secret);
  expect(await keysHolding(secret, encodings)).toEqual([`sensitive/${sesMessageId}`]);
  // nor any object's key (an attachment's is made from its name)
  expect([...(await storedObjects()).keys()].filter((key) => key.includes(secret.replace(/[^\w.-]+/g, '_')))).toEqual([]);
}

async function expectRawMoved(sesMessageId: string): Promise<void> {
  const objects = await storedObjects();
  expect([objects.has(`${stack.rawMailPrefix}${sesMessageId}`), objects.has(`sensitive/${sesMessageId}`)]).toEqual([false, true]);
}

function multipart(from: string, subject: string, parts: string[][], extraHeaders: string[] = []): string {
  const boundary = `b-${tag()}`;
  return [
    `From: ${from}`,
    'To: support@concierge.test',
    `Subject: ${subject}`,
    `Message-ID: <${tag()}@client.example>`,
    ...extraHeaders,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    ...parts.flatMap((part) => [`--${boundary}`, ...part]),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

beforeAll(async () => {
  stack = await startTestStack();
  s3 = s3ClientFor(stack);
  await api('/staff', 'POST', { name: 'Ada Agent', email: 'ada@staff.example', role: 'agent', status: 'active' });
});

afterAll(async () => {
  s3?.destroy();
  await stack?.teardown();
});

describe('secrets in mail as clients write it', () => {
  it('HTML-only mail: the phrase in the body is redacted', async () => {
    const customer = `html-${tag()}@client.example`;
    const phrase = generateMnemonic(englishWords, 128);
    const raw = [
      `From: ${customer}`, 'To: support@concierge.test', 'Subject: restore', `Message-ID: <${tag()}@client.example>`, 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '',
      `<html><body><p>My words:</p><table><tr>${phrase.split(' ').map((word) => `<td>${word}</td>`).join('')}</tr></table></body></html>`, '',
    ].join('\r\n');
    const sesMessageId = newSesMessageId();
    expect((await stack.deliver(raw, { sesMessageId, source: customer })).outcome).toBe('ticket-created');
    const [ticket] = await ticketsOf(customer);
    expect(ticket!.flags).toContain('secret-exposed');
    expect(ticket!.messages.find((m) => m.direction === 'inbound')!.text).toBe('My words:\n\n[redacted: recovery phrase]');
    // the cells no longer run together into one word redaction cannot read
    expect(await storedItems()).not.toContain(phrase.split(' ').slice(0, 3).join(''));
    await expectRawMoved(sesMessageId);
  });

  it('HTML-only reply: a phrase only in the quoted history still moves the raw message', async () => {
    const customer = `htmlquote-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;
    const raw = [
      `From: ${customer}`, 'To: support@concierge.test', 'Subject: Re: locked out', `Message-ID: <${tag()}@client.example>`, 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '',
      `<html><body><p>Any news?</p><div class="gmail_quote"><div>On Mon, 1 Jan 2026 Someone wrote:</div><blockquote class="gmail_quote">I cannot log in, my password is ${password}</blockquote></div></body></html>`, '',
    ].join('\r\n');
    const sesMessageId = newSesMessageId();
    await stack.deliver(raw, { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });

  it('a forwarded message (message/rfc822) holding a phrase', async () => {
    const customer = `fwd-${tag()}@client.example`;
    const phrase = generateMnemonic(englishWords, 128);
    const raw = multipart(customer, 'Fwd: my wallet', [
      ['Content-Type: text/plain; charset=utf-8', '', 'See the mail I sent myself, attached.'],
      ['Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="note.eml"', '', `From: ${customer}`, `To: ${customer}`, 'Subject: backup', 'Content-Type: text/plain; charset=utf-8', '', phrase],
    ]);
    const sesMessageId = newSesMessageId();
    await stack.deliver(raw, { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(phrase, sesMessageId);
  });

  it('a text attachment in UTF-16 (as Windows Notepad saves it) holding a phrase', async () => {
    const customer = `utf16-${tag()}@client.example`;
    const phrase = generateMnemonic(englishWords, 128);
    const content = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`seed:\r\n${phrase}\r\n`, 'utf16le')]);
    const raw = multipart(customer, 'backup', [
      ['Content-Type: text/plain; charset=utf-8', '', 'My backup file.'],
      ['Content-Type: text/plain; name="seed.txt"', 'Content-Disposition: attachment; filename="seed.txt"', 'Content-Transfer-Encoding: base64', '', content.toString('base64')],
    ]);
    const sesMessageId = newSesMessageId();
    await stack.deliver(raw, { sesMessageId, source: customer });
    const [ticket] = await ticketsOf(customer);
    const [stored] = ticket!.messages.find((m) => m.direction === 'inbound')!.attachments;
    expect(stored!.redacted).toEqual(['recovery-phrase']);
    expect((await storedObjects()).get(stored!.s3Key)!.toString('utf8')).toBe('seed:\r\n[redacted: recovery phrase]\r\n');
    await expectRawMoved(sesMessageId);
  });

  it('mail quarantined as spam keeps no copy of a secret outside the sensitive prefix', async () => {
    const customer = `spam-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;
    const sesMessageId = newSesMessageId();
    const result = await stack.deliver(composeMessage({ from: customer, subject: 'help', text: `my password: ${password}` }), { sesMessageId, source: customer, verdicts: { spam: 'FAIL' } });
    expect(result.outcome).toBe('quarantined');
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });

  it('a phrase in the From display name', async () => {
    const customer = `named-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;
    const sesMessageId = newSesMessageId();
    await stack.deliver(composeMessage({ from: `"password: ${password}" <${customer}>`, subject: 'help', text: 'hello' }), { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });

  it('an attachment filename with a code', async () => {
    const customer = `fname-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;
    const raw = multipart(customer, 'screenshot', [
      ['Content-Type: text/plain; charset=utf-8', '', 'Screenshot attached.'],
      [`Content-Type: image/png; name="password: ${password}.png"`, `Content-Disposition: attachment; filename="password: ${password}.png"`, 'Content-Transfer-Encoding: base64', '', Buffer.from('png').toString('base64')],
    ]);
    const sesMessageId = newSesMessageId();
    await stack.deliver(raw, { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });

  it('a file without a text type or name holding a phrase', async () => {
    const customer = `octet-${tag()}@client.example`;
    const phrase = generateMnemonic(englishWords, 128);
    const raw = multipart(customer, 'backup', [
      ['Content-Type: text/plain; charset=utf-8', '', 'Backup attached.'],
      ['Content-Type: application/octet-stream; name="wallet-backup"', 'Content-Disposition: attachment; filename="wallet-backup"', 'Content-Transfer-Encoding: base64', '', Buffer.from(`${phrase}\n`).toString('base64')],
    ]);
    const sesMessageId = newSesMessageId();
    await stack.deliver(raw, { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(phrase, sesMessageId, [Buffer.from(`${phrase}\n`).toString('base64')]);
  });

  it('a second inline text part holding a phrase', async () => {
    const customer = `inline-${tag()}@client.example`;
    const phrase = generateMnemonic(englishWords, 128);
    const raw = multipart(customer, 'backup', [
      ['Content-Type: text/plain; charset=utf-8', '', 'Hello.'],
      ['Content-Type: image/png', 'Content-Transfer-Encoding: base64', '', Buffer.from('png').toString('base64')],
      ['Content-Type: text/plain; charset=utf-8', '', phrase],
    ]);
    const sesMessageId = newSesMessageId();
    await stack.deliver(raw, { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(phrase, sesMessageId);
  });

  it('a 2FA code in the subject only', async () => {
    const customer = `subj-${tag()}@client.example`;
    const code = String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));
    const sesMessageId = newSesMessageId();
    await stack.deliver(composeMessage({ from: customer, subject: `cannot withdraw, 2FA code ${code}`, text: 'see subject' }), { sesMessageId, source: customer });
    await expectKeptOnlyUnderSensitivePrefix(`2FA code ${code}`, sesMessageId);
  });

  it('mail to a staff reply address whose signature does not verify: the receipt keeps the subject redacted, the raw message moves', async () => {
    // Prepare: a ticket, and a staff reply address for it with a made-up signature
    const customer = `staffaddr-${tag()}@client.example`;
    await stack.deliver(composeMessage({ from: customer, subject: 'Deposit missing', text: 'My deposit is missing.' }), { source: customer });
    const [ticket] = await ticketsOf(customer);
    const { ref } = await api<{ ref: string }>(`/tickets/${ticket!.id}`);
    const to = `support+${ref.toLowerCase()}.st-aaaaaaaa.${'a'.repeat(20)}@concierge.test`;
    const password = `Tr0ub4dor&${tag()}`;

    const sesMessageId = newSesMessageId();

    // Act
    const result = await stack.deliver(composeMessage({ from: customer, to, subject: `password: ${password}`, text: 'see subject' }), { sesMessageId, source: customer, recipients: [to] });

    // Assess
    expect(result.outcome).toBe('discarded');
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });

  it('the same delivery run twice at once: one warning, the raw message moved, no dead letter', async () => {
    const customer = `twice-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;
    const sesMessageId = newSesMessageId();
    const dead = readdirSync(stack.deadLetterDir).length;
    await stack.deliver(composeMessage({ from: customer, subject: 'locked', text: `password: ${password}` }), { sesMessageId, source: customer, concurrency: 2 });
    await stack.idle();
    expect(readdirSync(stack.deadLetterDir).length).toBe(dead);
    expect((await mailTo(customer)).filter((mail) => mail.subject?.includes('Security warning'))).toHaveLength(1);
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });
});

describe('a staff answer that holds a secret itself', () => {
  async function assignedTicket(customer: string): Promise<TicketView & { ref: string; assignee: string }> {
    await stack.deliver(composeMessage({ from: customer, subject: 'Withdrawal stuck', text: 'My withdrawal has been pending since yesterday.' }), { source: customer });
    const [ticket] = await ticketsOf(customer);
    return api(`/tickets/${ticket!.id}`);
  }

  it('by API: refused with 422, nothing stored or sent', async () => {
    // Prepare
    const customer = `answer-${tag()}@client.example`;
    const ticket = await assignedTicket(customer);
    const phrase = generateMnemonic(englishWords, 128);
    const before = (await mailTo(customer)).length;

    // Act
    const refused = await stack.api<{ reason?: string; kinds?: string[] }>(`/tickets/${ticket.ref}/replies`, { method: 'POST', body: { staffId: ticket.assignee, text: `Import this recovery phrase into a new wallet and your funds will be safe: ${phrase}` } });

    // Assess
    expect([refused.status, refused.body.reason, refused.body.kinds]).toEqual([422, 'contains-secret', ['recovery-phrase']]);
    expect((await mailTo(customer)).length).toBe(before);
    expect(await storedItems()).not.toContain(phrase);
    const events = (await api<{ events: Array<{ type: string; detail: Record<string, string> }> }>(`/tickets/${ticket.id}`)).events;
    expect(events).toContainEqual(expect.objectContaining({ type: 'reply-blocked', detail: { reason: 'contains-secret', kinds: 'recovery-phrase', via: 'api' } }));
  });

  it('by API: pointing to the password reset page is an ordinary answer and is sent', async () => {
    // Prepare
    const customer = `reset-${tag()}@client.example`;
    const ticket = await assignedTicket(customer);

    // Act
    const sent = await stack.api<{ status?: string }>(`/tickets/${ticket.ref}/replies`, { method: 'POST', body: { staffId: ticket.assignee, text: 'You can reset your password here: https://exchange.example/reset' } });

    // Assess
    expect(sent.status).toBe(201);
    expect((await mailTo(customer)).some((mail) => mail.text?.includes('reset your password here'))).toBe(true);
  });

  it('by email: not relayed, its author told, and the raw mail kept only under the sensitive prefix', async () => {
    // Prepare: the notification the agent answers
    const customer = `emailed-${tag()}@client.example`;
    const ticket = await assignedTicket(customer);
    const notification = (await mailTo('ada@staff.example')).find((mail) => mail.subject?.includes(ticket.ref))!;
    const replyAddress = notification.replyTo?.value[0]?.address ?? '';
    const key = randomBytes(32).toString('hex');
    const before = (await mailTo(customer)).length;
    const sesMessageId = newSesMessageId();

    // Act
    const result = await stack.deliver(
      composeMessage({ from: 'Ada Agent <ada@staff.example>', to: replyAddress, subject: `Re: ${notification.subject}`, inReplyTo: notification.messageId!, text: `Your new wallet's private key is ${key}, keep it safe.` }),
      { sesMessageId, source: 'ada@staff.example', recipients: [replyAddress] },
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'staff-reply-rejected', reason: 'contains-secret' });
    expect((await mailTo(customer)).length).toBe(before);
    const notices = (await mailTo('ada@staff.example')).filter((mail) => mail.subject === `[#${ticket.ref}] Your reply was not sent`);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('private key');
    await expectKeptOnlyUnderSensitivePrefix(key, sesMessageId);
  });
});

describe('the warning and the suppression list', () => {
  it('a suppressed address is not warned again: the warning is settled as suppressed', async () => {
    // Prepare: the mailbox simulator's bounce address writes in; what is sent to it bounces and suppresses it
    const customer = 'bounce@simulator.amazonses.com';
    const firstId = `<${tag()}@client.example>`;
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Locked out', text: 'I am locked out.', messageId: firstId }));
    await stack.feedbackDelivered();
    expect((await stack.api<{ active: boolean }>(`/suppressions/${encodeURIComponent(customer)}`)).body.active).toBe(true);
    const before = (await mailTo(customer)).length;

    // Act: a follow-up with a password
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Re: Locked out', text: `password: Tr0ub4dor&${tag()}`, inReplyTo: firstId, references: firstId }));
    await stack.feedbackDelivered();

    // Assess
    expect((await mailTo(customer)).length).toBe(before);
    const [ticket] = await ticketsOf(customer);
    expect(ticket!.flags).toContain('secret-exposed');
    const view = await api<{ messages: Array<{ purpose?: string; sendState?: string }> }>(`/tickets/${ticket!.id}`);
    expect(view.messages.filter((message) => message.purpose === 'secret-warning').map((message) => message.sendState)).toEqual(['suppressed']);
  });
});

describe('a member of staff writing to the support address', () => {
  it('forwarding a customer’s mail that holds a phrase: discarded, the raw message under the sensitive prefix', async () => {
    // Prepare
    const phrase = generateMnemonic(englishWords, 128);
    const sesMessageId = newSesMessageId();

    // Act
    const result = await stack.deliver(composeMessage({ from: 'Ada Agent <ada@staff.example>', subject: 'Fwd: help', text: `---------- Forwarded message ---------\nFrom: someone@client.example\n\nmy words are ${phrase}` }), { sesMessageId, source: 'ada@staff.example' });

    // Assess
    expect(result.outcome).toBe('discarded');
    await expectKeptOnlyUnderSensitivePrefix(phrase, sesMessageId);
  });
});

describe('mail to a real staff reply address that is not relayed', () => {
  it('a customer writing to the address their agent forwarded them: rejected, the raw message under the sensitive prefix', async () => {
    // Prepare: the reply address of the notification about the customer's ticket
    const customer = `shown-${tag()}@client.example`;
    await stack.deliver(composeMessage({ from: customer, subject: 'Card payment', text: 'My card payment failed.' }), { source: customer });
    const [ticket] = await ticketsOf(customer);
    const { ref } = await api<{ ref: string }>(`/tickets/${ticket!.id}`);
    const notification = (await mailTo('ada@staff.example')).find((mail) => mail.subject?.includes(ref))!;
    const replyAddress = notification.replyTo?.value[0]?.address ?? '';
    const code = String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));
    const sesMessageId = newSesMessageId();

    // Act
    const result = await stack.deliver(composeMessage({ from: customer, to: replyAddress, subject: 'Re: card', text: `my 2FA code is ${code}` }), { sesMessageId, source: customer, recipients: [replyAddress] });

    // Assess
    expect(result).toMatchObject({ outcome: 'staff-reply-rejected', reason: 'wrong-sender' });
    await expectKeptOnlyUnderSensitivePrefix(`2FA code is ${code}`, sesMessageId);
  });
});

describe('a message the parser refuses', () => {
  it('over the MIME part limit, holding a password: quarantined under the sensitive prefix, not copied to quarantine/', async () => {
    // Prepare: 300 parts, the first holding the password
    const customer = `parts-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;
    const parts = Array.from({ length: 300 }, (_, index) => ['Content-Type: text/plain; charset=utf-8', '', index === 0 ? `my password: ${password}` : `part ${index}`]);
    const sesMessageId = newSesMessageId();

    // Act
    const result = await stack.deliver(multipart(customer, 'help', parts), { sesMessageId, source: customer });
    const again = await stack.deliver('', { sesMessageId, source: customer, storeRaw: false });

    // Assess
    expect(result).toEqual({ outcome: 'quarantined', reason: expect.stringMatching(/^limit mime-parts/) });
    expect(again).toEqual({ outcome: 'duplicate', of: sesMessageId });
    await expectKeptOnlyUnderSensitivePrefix(password, sesMessageId);
  });

  it('over the MIME part limit without a secret: copied to quarantine/ as before', async () => {
    // Prepare
    const customer = `plainparts-${tag()}@client.example`;
    const parts = Array.from({ length: 300 }, (_, index) => ['Content-Type: text/plain; charset=utf-8', '', `part ${index}`]);
    const sesMessageId = newSesMessageId();

    // Act
    await stack.deliver(multipart(customer, 'newsletter', parts), { sesMessageId, source: customer });

    // Assess
    const objects = await storedObjects();
    expect([objects.has(`quarantine/${sesMessageId}`), objects.has(`sensitive/${sesMessageId}`)]).toEqual([true, false]);
  });
});

