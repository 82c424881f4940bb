/**
 * A customer who mails a secret, end to end on the local stack: the secret is gone from everything stored
 * (DynamoDB, the normal S3 prefixes), shown (the API) or sent (the staff notification) before any of it
 * happens; the raw original is kept only under the sensitive prefix; the ticket is flagged and urgent; and the
 * customer is warned at once in their language.
 */
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { generateMnemonic } from '@scure/bip39';
import { wordlist as englishWords } from '@scure/bip39/wordlists/english.js';
import { wordlist as simplifiedChineseWords } from '@scure/bip39/wordlists/simplified-chinese.js';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { apiOk, composeMessage, newSesMessageId, startTestStack, type TestStack } from '../helpers/local-stack';
import { s3ClientFor, storedItemsJson, storedObjects as storedObjectsOf } from '../helpers/stored-everything';

interface TicketView {
  id: string;
  ref: string;
  flags: string[];
  priority: string;
  category: string;
  language: string;
  events: Array<{ type: string; actor: string; detail: Record<string, string> }>;
  messages: Array<{ direction: string; purpose?: string; sendState?: string; text: string; subject: string; redacted?: string[]; attachments: Array<{ s3Key: string; redacted?: string[] }> }>;
}

let stack: TestStack;
let s3: S3Client;
const api = <T>(path: string, method = 'GET', body?: unknown) => apiOk<T>(stack, path, method, body);
const tag = () => randomBytes(3).toString('hex');
const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const storedObjects = async () => new Map([...(await storedObjectsOf(stack, s3))].map(([key, bytes]) => [key, bytes.toString('utf8')]));
const storedItems = () => storedItemsJson(stack);
const mailTo = async (address: string) => (await stack.outbox()).map((entry) => entry.mail).filter((mail) => addressesOf(mail.to).includes(address.toLowerCase()));

async function ticketOf(customer: string): Promise<TicketView> {
  const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  expect(tickets).toHaveLength(1);
  return api<TicketView>(`/tickets/${tickets[0]!.id}`);
}

/**
 * Where `secret` may be found once the desk is done: only under the sensitive prefix (the raw original). Not in
 * any DynamoDB item, any other object (raw mail, attachments, quarantine), the API's view or any mail sent.
 */
async function expectSecretOnlyUnderSensitivePrefix(secret: string, ticket: TicketView, { encodedInRaw = false } = {}): Promise<void> {
  expect(JSON.stringify(ticket)).not.toContain(secret);
  expect(await storedItems()).not.toContain(secret);
  const objects = await storedObjects();
  const holding = [...objects].filter(([, content]) => content.includes(secret)).map(([key]) => key);
  // The raw original holds it as written; a base64 attachment holds it encoded, so no object shows it plainly.
  expect(holding).toHaveLength(encodedInRaw ? 0 : 1);
  for (const key of holding) expect(key).toMatch(/^sensitive\//);
  for (const entry of await stack.outbox()) expect(entry.raw).not.toContain(secret);
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

describe('a customer who mails a secret', () => {
  it('a recovery phrase: redacted everywhere, original only under the sensitive prefix, ticket urgent, customer warned in English', async () => {
    // Prepare
    const customer = `phrase-${tag()}@client.example`;
    const phrase = generateMnemonic(englishWords, 256);

    // Act
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Wallet recovery help', text: `Hello, I cannot restore my wallet. These are my words:\n${phrase}\nPlease help me get my coins back.` }));

    // Assess: the API shows the marker, never the words
    const ticket = await ticketOf(customer);
    const [message] = ticket.messages.filter((m) => m.direction === 'inbound');
    expect(message!.text).toBe('Hello, I cannot restore my wallet. These are my words:\n[redacted: recovery phrase]\nPlease help me get my coins back.');
    expect(message!.redacted).toEqual(['recovery-phrase']);
    // flagged, a security matter, urgent; the event says what was removed
    expect(ticket.flags).toContain('secret-exposed');
    expect([ticket.category, ticket.priority]).toEqual(['security', 'urgent']);
    expect(ticket.events).toContainEqual(expect.objectContaining({ type: 'secret-redacted', detail: { kinds: 'recovery-phrase', where: 'text' } }));
    // the staff notification carries the marker and says why it is urgent
    const [notification] = await mailTo('ada@staff.example');
    expect(notification!.text).toContain('[redacted: recovery phrase]');
    expect(notification!.text).toContain('SECRET EXPOSED');
    // the customer is warned, in English, besides the acknowledgement
    const toCustomer = await mailTo(customer);
    const warning = toCustomer.find((mail) => mail.subject?.includes('Security warning'));
    expect(warning?.subject).toBe(`[#${ticket.ref}] Security warning: never send a recovery (seed) phrase by email`);
    expect(warning!.text).toContain('Our staff will never ask for your password, recovery phrase, private key or any code.');
    expect(warning!.text).toContain('Move all funds from the wallet of this recovery phrase to a new wallet');
    expect(warning!.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ticket.messages.some((m) => m.purpose === 'secret-warning')).toBe(true);
    // only the sensitive prefix holds the words
    await expectSecretOnlyUnderSensitivePrefix(phrase, ticket);
    // and the CLI says what was removed
    const shown = await runCli(stack.apiUrl, ['tickets', 'show', ticket.ref]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('flags secret-exposed');
    expect(shown.stdout).toContain('(secrets removed before it was stored: recovery-phrase)');
    expect(shown.stdout).not.toContain(phrase);
  });

  it('a private key in Chinese: redacted, flagged, and the warning is in Chinese', async () => {
    // Prepare
    const customer = `key-${tag()}@client.example`;
    const key = randomBytes(32).toString('hex');

    // Act
    await stack.sendSmtp(composeMessage({ from: customer, subject: '钱包资产丢失', text: `您好，我的钱包里的资产不见了。\n我的私钥是 ${key}\n请尽快帮我查一下，谢谢。` }));

    // Assess
    const ticket = await ticketOf(customer);
    expect(ticket.language).toBe('zh');
    expect(ticket.messages.find((m) => m.direction === 'inbound')!.text).toContain('我的私钥是 [redacted: private key]');
    expect(ticket.flags).toContain('secret-exposed');
    expect(ticket.priority).toBe('urgent');
    const warning = (await mailTo(customer)).find((mail) => mail.subject?.includes('安全警告'));
    expect(warning?.subject).toBe(`[#${ticket.ref}] 安全警告：请勿通过邮件发送私钥`);
    expect(warning!.text).toContain('我们的工作人员绝不会索取您的密码、助记词、私钥或验证码');
    expect(warning!.text).toContain('请立即将该私钥控制的全部资产转入新钱包');
    expect((await mailTo('ada@staff.example')).some((mail) => mail.text?.includes('[redacted: private key]'))).toBe(true);
    await expectSecretOnlyUnderSensitivePrefix(key, ticket);
  });

  it('a password in the subject and text: both redacted, and the warning says to change it', async () => {
    // Prepare
    const customer = `password-${tag()}@client.example`;
    const password = `Tr0ub4dor&${tag()}`;

    // Act
    await stack.sendSmtp(composeMessage({ from: customer, subject: `login fails, password: ${password}`, text: `I cannot log in.\nMy password is ${password} and the app says it is wrong.` }));

    // Assess
    const ticket = await ticketOf(customer);
    const message = ticket.messages.find((m) => m.direction === 'inbound')!;
    expect(message.subject).toBe('login fails, password: [redacted: password]');
    expect(message.text).toContain('My password is [redacted: password]');
    expect(ticket.events).toContainEqual(expect.objectContaining({ type: 'secret-redacted', detail: { kinds: 'password', where: 'subject,text' } }));
    const warning = (await mailTo(customer)).find((mail) => mail.subject?.includes('Security warning'));
    expect(warning!.text).toContain('Change your password at once');
    await expectSecretOnlyUnderSensitivePrefix(password, ticket);
  });

  it('a recovery phrase in a text attachment: the stored attachment holds the marker', async () => {
    // Prepare
    const customer = `attached-${tag()}@client.example`;
    const phrase = generateMnemonic(simplifiedChineseWords, 128);
    const boundary = `b-${tag()}`;
    const raw = [
      `From: ${customer}`,
      'To: support@concierge.test',
      'Subject: backup file',
      `Message-ID: <${tag()}@client.example>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'My backup is attached; is it right?',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8; name="backup.txt"',
      'Content-Disposition: attachment; filename="backup.txt"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(`助记词：\n${phrase}\n`).toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n');

    // Act
    await stack.sendSmtp(raw);

    // Assess
    const ticket = await ticketOf(customer);
    const message = ticket.messages.find((m) => m.direction === 'inbound')!;
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]!.redacted).toEqual(['recovery-phrase']);
    const objects = await storedObjects();
    expect(objects.get(message.attachments[0]!.s3Key)).toBe('助记词：\n[redacted: recovery phrase]\n');
    expect(ticket.events).toContainEqual(expect.objectContaining({ type: 'secret-redacted', detail: { kinds: 'recovery-phrase', where: 'attachment' } }));
    await expectSecretOnlyUnderSensitivePrefix(phrase, ticket, { encodedInRaw: true });
    const encoded = Buffer.from(`助记词：\n${phrase}\n`).toString('base64');
    expect([...objects].filter(([, content]) => content.includes(encoded)).map(([key]) => key)).toEqual([expect.stringMatching(/^sensitive\//)]);
  });

  it('a follow-up that holds a code makes an ordinary ticket urgent and warns once, however often it is delivered', async () => {
    // Prepare: an ordinary ticket
    const customer = `follow-${tag()}@client.example`;
    const firstId = `<${tag()}@client.example>`;
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Deposit not credited', text: 'My USDT deposit from yesterday is not in my account.', messageId: firstId }));
    const before = await ticketOf(customer);
    expect(before.priority).not.toBe('urgent');
    expect(before.flags).not.toContain('secret-exposed');
    const code = String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));
    const followUp = composeMessage({ from: customer, subject: `Re: [#${before.ref}] Deposit not credited`, text: `You can check it yourself, my 2FA code is ${code}`, inReplyTo: firstId, references: firstId });
    const sesMessageId = newSesMessageId();

    const receivedAt = new Date().toISOString();

    // Act: delivered, then the same event again (SES's retry) after the raw message has moved
    const first = await stack.deliver(followUp, { sesMessageId, source: customer, receivedAt });
    const again = await stack.deliver(followUp, { sesMessageId, source: customer, receivedAt, storeRaw: false });

    // Assess
    expect(first.outcome).toBe('follow-up');
    expect(again).toEqual({ outcome: 'duplicate', of: sesMessageId });
    // and once more as if a run had stopped before the move: the warning is not sent twice
    expect((await stack.deliver(followUp, { sesMessageId, source: customer, receivedAt })).outcome).toBe('duplicate');
    const ticket = await ticketOf(customer);
    expect([ticket.priority, ticket.category]).toEqual(['urgent', 'security']);
    expect(ticket.flags).toContain('secret-exposed');
    expect(ticket.events).toContainEqual(expect.objectContaining({ type: 'priority-changed', actor: 'secret-detection', detail: { from: before.priority, to: 'urgent' } }));
    expect(ticket.messages.find((m) => m.direction === 'inbound' && m.text.includes('2FA'))!.text).toBe('You can check it yourself, my 2FA code is [redacted: one-time code]');
    const warnings = (await mailTo(customer)).filter((mail) => mail.subject?.includes('Security warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.text).toContain('Reset two-factor authentication (2FA)');
    const objects = await storedObjects();
    expect(objects.has(`${stack.rawMailPrefix}${sesMessageId}`)).toBe(false);
    expect(objects.get(`sensitive/${sesMessageId}`)).toContain(code);
  });

  it('a sender authentication does not prove is warned too, within the acknowledgements’ hourly cap per sender', async () => {
    // Prepare: the default cap is 5 acknowledgements per sender and hour
    const customer = `unproven-${tag()}@client.example`;
    const unproven = { spf: 'FAIL', dkim: 'FAIL', dmarc: 'GRAY' } as const;

    // Act: six messages, each with another password
    const results = [];
    for (let index = 0; index < 6; index += 1) {
      results.push(await stack.deliver(composeMessage({ from: customer, subject: `locked out ${index}`, text: `password: Unproven-${index}-${tag()}` }), { source: customer, verdicts: unproven }));
    }

    // Assess: every ticket flagged, five warnings, the sixth withheld
    expect(results.map((result) => result.outcome)).toEqual(Array(6).fill('ticket-created'));
    const warnings = (await mailTo(customer)).filter((mail) => mail.subject?.includes('Security warning'));
    expect(warnings).toHaveLength(5);
    const { tickets } = await api<{ tickets: Array<{ id: string; flags: string[] }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
    expect(tickets.every((ticket) => ticket.flags.includes('secret-exposed') && ticket.flags.includes('unverified-sender'))).toBe(true);
    const states = await Promise.all(tickets.map(async (ticket) => (await api<TicketView>(`/tickets/${ticket.id}`)).messages.find((m) => m.purpose === 'secret-warning')?.sendState));
    expect(states.sort()).toEqual(['rate-limited', 'sent', 'sent', 'sent', 'sent', 'sent']);
  });

  it('ordinary mail keeps its raw message where it was and warns nobody', async () => {
    // Prepare
    const customer = `plain-${tag()}@client.example`;
    const sesMessageId = newSesMessageId();

    // Act
    const result = await stack.deliver(composeMessage({ from: customer, subject: 'Fees', text: 'What is the fee for a BTC withdrawal? The tx hash of my last one was 0x' + 'ab'.repeat(32) }), { sesMessageId, source: customer });

    // Assess
    expect(result.outcome).toBe('ticket-created');
    const ticket = await ticketOf(customer);
    expect(ticket.flags).not.toContain('secret-exposed');
    expect((await mailTo(customer)).map((mail) => mail.subject)).toEqual([expect.stringContaining('We received your message')]);
    const objects = await storedObjects();
    expect(objects.has(`${stack.rawMailPrefix}${sesMessageId}`)).toBe(true);
    expect(objects.has(`sensitive/${sesMessageId}`)).toBe(false);
  });
});
